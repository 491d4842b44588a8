// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {DatapactBase} from "./DatapactBase.sol";

/// @title Datapact views
/// @notice Every read of the Datapact ledger program. Deployed once beside `Datapact`, which forwards every call it
/// does not implement here by DELEGATECALL: call these functions on the `Datapact` address, never on this one (its
/// own storage is empty).
contract DatapactViews is DatapactBase {
    /// @notice The consortium settings.
    /// @return bootstrapped Whether a first member bootstrapped the consortium (false: no settings yet).
    /// @return settings The settings.
    function getSettings() external view returns (bool bootstrapped, Settings memory settings) {
        SettingsRecord memory s = _settings;
        return (s.bootstrapped, Settings(s.admission, s.regulatorEscrow, s.periodSeconds));
    }

    /// @notice A member; status 0 when it never joined.
    /// @param member The member.
    /// @return The member.
    function getMember(address member) external view returns (MemberView memory) {
        return _memberView(member);
    }

    /// @notice Members in joining order, from `offset`, at most `limit`.
    /// @param offset First index.
    /// @param limit Most members returned.
    /// @return total Number of members ever joined.
    /// @return page The members.
    function listMembers(uint256 offset, uint256 limit)
        external
        view
        returns (uint256 total, MemberView[] memory page)
    {
        total = _memberIds.length;
        uint256 end = _pageEnd(offset, limit, total);
        page = new MemberView[](end > offset ? end - offset : 0);
        for (uint256 i; i < page.length; ++i) page[i] = _memberView(_memberIds[offset + i]);
    }

    /// @notice A dataset; owner address(0) when absent.
    /// @param datasetId Dataset id.
    /// @return The dataset.
    function getDataset(bytes32 datasetId) external view returns (DatasetView memory) {
        return _datasetView(datasetId);
    }

    /// @notice Datasets in registration order, from `offset`, at most `limit`.
    /// @param offset First index.
    /// @param limit Most datasets returned.
    /// @return total Number of datasets.
    /// @return page The datasets.
    function listDatasets(uint256 offset, uint256 limit)
        external
        view
        returns (uint256 total, DatasetView[] memory page)
    {
        total = _datasetIds.length;
        uint256 end = _pageEnd(offset, limit, total);
        page = new DatasetView[](end > offset ? end - offset : 0);
        for (uint256 i; i < page.length; ++i) page[i] = _datasetView(_datasetIds[offset + i]);
    }

    /// @notice A version; number 0 when absent.
    /// @param datasetId Dataset id.
    /// @param number Version number.
    /// @return The version.
    function getVersion(bytes32 datasetId, uint32 number) external view returns (VersionView memory) {
        return _versionView(datasetId, number);
    }

    /// @notice Versions `from` .. `from + limit - 1` of a dataset (those that exist).
    /// @param datasetId Dataset id.
    /// @param from First version number.
    /// @param limit Most versions returned.
    /// @return page The versions.
    function listVersions(bytes32 datasetId, uint256 from, uint256 limit)
        external
        view
        returns (VersionView[] memory page)
    {
        uint256 latest = _datasets[datasetId].latestVersion;
        if (from == 0) from = 1;
        uint256 end = from > latest ? from : _pageEnd(from, limit, latest + 1);
        page = new VersionView[](end - from);
        for (uint256 i; i < page.length; ++i) page[i] = _versionView(datasetId, uint32(from + i));
    }

    /// @notice A grant; seq 0 when absent.
    /// @param datasetId Dataset id.
    /// @param grantee The grantee.
    /// @return The grant.
    function getGrant(bytes32 datasetId, address grantee) external view returns (GrantView memory) {
        return _grantView(datasetId, grantee);
    }

    /// @notice Every grant ever issued on a dataset (the latest per grantee), in first-grant order.
    /// @param datasetId Dataset id.
    /// @return page The grants.
    function listGrants(bytes32 datasetId) external view returns (GrantView[] memory page) {
        address[] storage grantees = _grantees[datasetId];
        page = new GrantView[](grantees.length);
        for (uint256 i; i < page.length; ++i) page[i] = _grantView(datasetId, grantees[i]);
    }

    /// @notice Where a wrapped key is: the block of the last AccessGranted/KeysWrapped log carrying it, else (0)
    /// the VersionPublished log of the version's block.
    /// @param datasetId Dataset id.
    /// @param number Version number.
    /// @param member The member.
    /// @return wrapBlock Block of the last grant or re-wrap carrying it; 0 = none.
    /// @return versionBlock Block the version was published in; 0 = no such version.
    function getKeyWrapBlocks(bytes32 datasetId, uint32 number, address member)
        external
        view
        returns (uint64 wrapBlock, uint64 versionBlock)
    {
        wrapBlock = uint64(_wrapBlocks[datasetId][member][number >> 2] >> ((number & 3) * 64));
        versionBlock = _versions[datasetId][number].publishedBlock;
    }

    /// @notice Running usage totals of a statement key (zero when nothing was recorded).
    /// @param provider Provider.
    /// @param consumer Consumer.
    /// @param period Billing period index.
    /// @param currency Currency code.
    /// @return The totals.
    function getTotals(address provider, address consumer, uint64 period, bytes8 currency)
        external
        view
        returns (Totals memory)
    {
        return _totals[_statementKey(provider, consumer, period, currency)];
    }

    /// @notice Acknowledgement state of a statement key.
    /// @param provider Provider.
    /// @param consumer Consumer.
    /// @param period Billing period index.
    /// @param currency Currency code.
    /// @return The settlement state.
    function getSettlement(address provider, address consumer, uint64 period, bytes8 currency)
        external
        view
        returns (SettlementView memory)
    {
        return _settlements[_statementKey(provider, consumer, period, currency)];
    }

    /// @notice Progress of a payload upload and the block and first index of each of its batches.
    /// @param upload Upload id.
    /// @return The upload.
    function getUpload(bytes32 upload) external view returns (UploadView memory) {
        UploadRecord memory u = _uploads[upload];
        uint256[] memory batches = new uint256[](u.batchCount);
        for (uint256 i; i < batches.length; ++i) batches[i] = _uploadBatches[upload][i];
        return UploadView(u.owner, u.stored, u.complete, batches);
    }

    function _pageEnd(uint256 offset, uint256 limit, uint256 total) internal pure returns (uint256) {
        if (offset >= total) return offset;
        return limit >= total - offset ? total : offset + limit;
    }

    function _memberView(address member) internal view returns (MemberView memory) {
        MemberRecord storage m = _members[member];
        return MemberView(member, m.status, m.roles, m.joinedAt, m.envelopeKey, m.name);
    }

    function _datasetView(bytes32 id) internal view returns (DatasetView memory) {
        DatasetRecord storage d = _datasets[id];
        return DatasetView(
            id,
            d.owner,
            d.retired,
            d.listed,
            d.latestVersion,
            d.grantCount,
            d.createdAt,
            d.currency,
            d.pricePerAccess,
            d.pricePerByte,
            d.infoBlock,
            d.infoHash
        );
    }

    function _versionView(bytes32 id, uint32 number) internal view returns (VersionView memory) {
        VersionRecord storage v = _versions[id][number];
        return VersionView(
            v.publishedBlock == 0 ? 0 : number,
            v.plaintextDigest,
            v.merkleRoot,
            v.size,
            v.chunkSize,
            v.chunkCount,
            v.publishedAt,
            v.publishedBlock,
            v.infoHash,
            v.keyCommitment
        );
    }

    function _grantView(bytes32 id, address grantee) internal view returns (GrantView memory) {
        GrantRecord storage g = _grants[id][grantee];
        return GrantView(
            grantee,
            g.seq,
            GrantTerms(g.scopeKind, g.scopeVersion, g.expiresAt, g.maxAccesses, g.hasPriceOverride, g.priceOverride),
            g.used,
            g.revoked,
            g.grantedAt,
            g.revokedAt,
            PinnedTerms(g.pinnedPerAccess, g.pinnedPerByte, g.pinnedCurrency),
            g.lastUsedAt
        );
    }
}
