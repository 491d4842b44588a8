// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {DatapactBase} from "./DatapactBase.sol";
import "./DatapactConstants.sol";

/// @title Datapact ledger program for EVM chains
/// @notice Members of a consortium register datasets, publish versions, grant and revoke access, record metered
/// usage and settle statements. Every rule of the core ledger program is enforced here, in the same order,
/// with the same outcome; the client's own checks are a courtesy.
/// @dev One non-upgradeable contract, private state. Bulky, write-once data (catalog metadata, version headers,
/// wrapped keys, payload chunks) lives in event logs; storage keeps what the rules read plus the block (and, for
/// metadata and headers, the hash) of the log holding the rest.
contract Datapact is DatapactBase {
    uint64 private immutable _deploymentBlock;
    /// @dev The one member that may bootstrap the consortium, fixed at deployment: no later transaction can take it.
    address private immutable _genesisAdmin;
    /// @dev The `DatapactViews` contract every read is forwarded to.
    address private immutable _views;

    /// @param genesisAdmin The member that bootstraps the consortium (its first admin); not address(0).
    /// @param views A deployed `DatapactViews`.
    constructor(address genesisAdmin, address views) {
        if (genesisAdmin == address(0) || views.code.length == 0) revert InvalidInput("constructor");
        _deploymentBlock = uint64(block.number);
        _genesisAdmin = genesisAdmin;
        _views = views;
    }

    /// @notice Forwards every read (see `DatapactViews`) by DELEGATECALL, so it runs over this contract's storage.
    fallback() external {
        address views = _views;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), views, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @notice The block this contract was deployed in (where event scans start).
    /// @return The block number.
    function deploymentBlock() external view returns (uint256) {
        return _deploymentBlock;
    }

    // ------------------------------------------------------------------ members

    /// @notice Joins the consortium as the caller. The first member bootstraps it: it becomes admin and `settings`
    /// (or the defaults when `hasSettings` is false) take effect. Later members pass `hasSettings = false` and get the
    /// roles they ask for (admission open, never admin) or the roles an admin admitted them with (admission admin).
    /// @param name Display name, 1 to 200 characters.
    /// @param roles Role bitmask asked for.
    /// @param envelopeKey X25519 public key data keys are wrapped to.
    /// @param hasSettings Whether `settings` is given (bootstrap only).
    /// @param settings Initial settings; their regulator escrow must be unset.
    function joinConsortium(
        string calldata name,
        uint8 roles,
        bytes32 envelopeKey,
        bool hasSettings,
        Settings calldata settings
    ) external {
        _checkText(name, 1, LIMIT_NAME, "name");
        _checkRoles(roles);
        _checkEnvelopeKey(envelopeKey);
        if (hasSettings) _checkSettings(settings);
        MemberRecord storage m = _members[msg.sender];
        if (m.status == _ACTIVE) revert Conflict(bytes32(uint256(uint160(msg.sender))));
        uint8 granted;
        if (!_settings.bootstrapped) {
            if (msg.sender != _genesisAdmin) revert AccessDenied(msg.sender, 0);
            Settings memory initial = hasSettings ? settings : Settings(ADMISSION_OPEN, address(0), uint32(DEFAULT_PERIOD_SECONDS));
            if (initial.regulatorEscrow != address(0)) revert InvalidInput("settings.regulatorEscrow");
            _settings = SettingsRecord(true, initial.admission, address(0), initial.periodSeconds);
            emit ConsortiumBootstrapped(msg.sender, initial);
            granted = roles | _ADMIN;
        } else {
            if (hasSettings) revert InvalidInput("settings");
            if (_settings.admission == 1) {
                granted = _admissions[msg.sender];
                if (granted == 0) revert AccessDenied(msg.sender, 0);
                delete _admissions[msg.sender];
            } else {
                if (roles & _ADMIN != 0) revert AccessDenied(msg.sender, 0);
                granted = roles;
            }
        }
        if (m.status == 0) _memberIds.push(msg.sender);
        m.status = _ACTIVE;
        m.roles = granted;
        m.joinedAt = uint64(block.timestamp);
        m.envelopeKey = envelopeKey;
        m.name = name;
        if (granted & _ADMIN != 0) ++_activeAdmins;
        emit MemberJoined(msg.sender, name, granted, envelopeKey);
    }

    /// @notice An admin admits a future member with the roles it will have when it joins.
    /// @param member The future member.
    /// @param roles Role bitmask.
    function admitMember(address member, uint8 roles) external {
        _checkRoles(roles);
        _requireAdmin();
        if (_members[member].status == _ACTIVE) revert Conflict(bytes32(uint256(uint160(member))));
        _admissions[member] = roles;
        emit MemberAdmitted(member, msg.sender, roles);
    }

    /// @notice An admin changes an active member's roles. An admin cannot drop its own admin role, and the escrow
    /// regulator keeps the regulator role until the settings change.
    /// @param member The member.
    /// @param roles New role bitmask.
    function setMemberRoles(address member, uint8 roles) external {
        _checkRoles(roles);
        _requireAdmin();
        MemberRecord storage m = _members[member];
        if (m.status != _ACTIVE) revert MemberNotFound(member);
        if (member == msg.sender && roles & _ADMIN == 0) revert InvalidInput("roles");
        if (_settings.regulatorEscrow == member && roles & _REGULATOR == 0) {
            revert Conflict(bytes32(uint256(uint160(member))));
        }
        if (m.roles & _ADMIN != 0) --_activeAdmins;
        if (roles & _ADMIN != 0) ++_activeAdmins;
        m.roles = roles;
        emit MemberRolesChanged(member, msg.sender, roles);
    }

    /// @notice The caller replaces its envelope key; versions published later are wrapped to the new key.
    /// @param envelopeKey The new X25519 public key.
    function rotateEnvelopeKey(bytes32 envelopeKey) external {
        _checkEnvelopeKey(envelopeKey);
        MemberRecord storage m = _activeCaller();
        m.envelopeKey = envelopeKey;
        emit EnvelopeKeyRotated(msg.sender, envelopeKey);
    }

    /// @notice The caller leaves the consortium. The escrow regulator and the last admin cannot leave.
    function leaveConsortium() external {
        MemberRecord storage m = _activeCaller();
        if (_settings.regulatorEscrow == msg.sender) revert Conflict(bytes32(uint256(uint160(msg.sender))));
        if (m.roles & _ADMIN != 0) {
            if (_activeAdmins == 1) revert Conflict(bytes32(uint256(uint160(msg.sender))));
            --_activeAdmins;
        }
        m.status = _LEFT;
        emit MemberLeft(msg.sender);
    }

    /// @notice An admin replaces the consortium settings. An escrow regulator must be an active regulator.
    /// @param settings The new settings.
    function updateSettings(Settings calldata settings) external {
        _checkSettings(settings);
        _requireAdmin();
        address escrow = settings.regulatorEscrow;
        if (escrow != address(0)) {
            MemberRecord storage reg = _members[escrow];
            if (reg.status != _ACTIVE || reg.roles & _REGULATOR == 0) revert InvalidInput("settings.regulatorEscrow");
        }
        _settings = SettingsRecord(true, settings.admission, escrow, settings.periodSeconds);
        emit SettingsUpdated(msg.sender, settings);
    }

    // ----------------------------------------------------------------- datasets

    /// @notice A provider registers a dataset it then owns, under a new id it chose.
    /// @param datasetId The new dataset's id.
    /// @param metadata Catalog metadata (kept in the log; its hash in storage).
    /// @param terms Commercial terms.
    /// @param listed Whether the catalog lists it.
    function registerDataset(bytes32 datasetId, Metadata calldata metadata, Terms calldata terms, bool listed)
        external
    {
        _checkMetadata(metadata, terms);
        MemberRecord storage me = _activeCaller();
        if (me.roles & _PROVIDER == 0) revert AccessDenied(msg.sender, datasetId);
        DatasetRecord storage ds = _datasets[datasetId];
        if (ds.owner != address(0)) revert Conflict(datasetId);
        ds.owner = msg.sender;
        ds.listed = listed;
        ds.createdAt = uint64(block.timestamp);
        _setTerms(ds, metadata, terms);
        _datasetIds.push(datasetId);
        emit DatasetRegistered(datasetId, msg.sender, metadata, terms, listed, uint64(block.timestamp));
    }

    /// @notice The owner replaces a dataset's metadata, terms and listing; new terms apply to later usage.
    /// @param datasetId Dataset id.
    /// @param metadata Catalog metadata.
    /// @param terms Commercial terms.
    /// @param listed Whether the catalog lists it.
    function updateDataset(bytes32 datasetId, Metadata calldata metadata, Terms calldata terms, bool listed) external {
        _checkMetadata(metadata, terms);
        DatasetRecord storage ds = _ownedActive(datasetId);
        ds.listed = listed;
        _setTerms(ds, metadata, terms);
        emit DatasetUpdated(datasetId, msg.sender, metadata, terms, listed);
    }

    /// @notice The owner retires a dataset: no new versions or grants; grants in force keep working.
    /// @param datasetId Dataset id.
    function retireDataset(bytes32 datasetId) external {
        DatasetRecord storage ds = _ownedActive(datasetId);
        ds.retired = true;
        ds.listed = false;
        emit DatasetRetired(datasetId, msg.sender);
    }

    /// @notice A provider stores ciphertext chunks of an upload, in order, from the member that started it; the
    /// batch flagged `last` completes it and a complete upload is immutable. The chunks are kept in the log.
    /// @param upload Upload id chosen by the provider.
    /// @param first Index of the first chunk (= chunks stored so far).
    /// @param chunks 1 to 64 chunks.
    /// @param last Whether this batch completes the upload.
    function storePayload(bytes32 upload, uint32 first, bytes[] calldata chunks, bool last) external {
        if (chunks.length == 0 || chunks.length > _MAX_PAYLOAD_BATCH) revert InvalidInput("chunks");
        for (uint256 i; i < chunks.length; ++i) {
            if (chunks[i].length == 0 || chunks[i].length > _MAX_CHUNK) revert InvalidInput("chunks");
        }
        MemberRecord storage me = _activeCaller();
        if (me.roles & _PROVIDER == 0) revert AccessDenied(msg.sender, upload);
        UploadRecord storage u = _uploads[upload];
        if (u.owner != address(0) && u.owner != msg.sender) revert AccessDenied(msg.sender, upload);
        if (u.complete) revert Conflict(upload);
        if (first != u.stored) revert OutOfSequence(upload, u.stored, first);
        uint256 stored = uint256(first) + chunks.length;
        if (stored > type(uint32).max) revert InvalidInput("chunks");
        u.owner = msg.sender;
        u.stored = uint32(stored);
        u.complete = last;
        _uploadBatches[upload][u.batchCount++] = (block.number << 32) | first;
        emit PayloadStored(upload, msg.sender, first, last, chunks);
    }

    /// @notice The owner publishes the next version (latest + 1) with its data key wrapped for exactly the entitled
    /// members: the owner, the escrow regulator, and every active grantee whose grant is in force and covers it.
    /// A payload on the ledger (store `ledger`) must be complete, uploaded by the owner, with `chunkCount` chunks.
    /// @param version The version.
    /// @param wraps One wrapped key per entitled member, in any order.
    function publishVersion(VersionParams calldata version, MemberWrap[] calldata wraps) external {
        _checkVersion(version, wraps);
        bytes32 id = version.datasetId;
        DatasetRecord storage ds = _ownedActive(id);
        uint256 next = uint256(ds.latestVersion) + 1;
        if (version.number != next) revert OutOfSequence(id, next, version.number);
        if (keccak256(bytes(version.location.store)) == keccak256("ledger")) {
            (bool ok, bytes32 upload) = _parseHex32(version.location.addr);
            UploadRecord storage u = _uploads[upload];
            if (!ok || u.owner != msg.sender || !u.complete || u.stored != version.chunkCount) {
                revert InvalidInput("location.address");
            }
        }
        _pruneExpired(id);
        _checkVersionWraps(id, ds.owner, version.number, wraps);
        _versions[id][version.number] = VersionRecord({
            plaintextDigest: version.plaintextDigest,
            merkleRoot: version.merkleRoot,
            size: version.size,
            chunkSize: version.chunkSize,
            chunkCount: version.chunkCount,
            publishedAt: uint64(block.timestamp),
            publishedBlock: uint64(block.number),
            infoHash: keccak256(abi.encode(version.header, version.location)),
            keyCommitment: version.keyCommitment
        });
        ds.latestVersion = version.number;
        emit VersionPublished(id, version.number, msg.sender, version, uint64(block.timestamp), wraps);
    }

    // ------------------------------------------------------------------- grants

    /// @notice The owner grants a consumer access. At most one grant per (dataset, grantee) is in force; after a
    /// revocation or expiry a new grant (next sequence number) replaces it. The key of every existing version the
    /// scope covers must be wrapped for the grantee, and no other.
    /// @param datasetId Dataset id.
    /// @param grantee An active member with the consumer role, not the owner.
    /// @param terms Scope, expiry (0 = never), quota (0 = unlimited) and price override.
    /// @param wraps One wrapped key per covered existing version, in any order.
    function grantAccess(bytes32 datasetId, address grantee, GrantTerms calldata terms, VersionWrap[] calldata wraps)
        external
    {
        if (terms.scopeKind > _SCOPE_EXACT) revert InvalidInput("scope.kind");
        if (terms.expiresAt > _MAX_SAFE) revert InvalidInput("expiresAt");
        _checkVersionWrapShape(wraps, 0);
        DatasetRecord storage ds = _ownedActive(datasetId);
        if ((terms.scopeKind == _SCOPE_ALL) != (terms.scopeVersion == 0)) revert InvalidInput("scope.version");
        if (grantee == ds.owner) revert InvalidInput("grantee");
        MemberRecord storage m = _members[grantee];
        if (m.status != _ACTIVE || m.roles & _CONSUMER == 0) revert InvalidInput("grantee");
        if (terms.expiresAt != 0 && terms.expiresAt <= block.timestamp) revert InvalidInput("expiresAt");
        GrantRecord storage g = _grants[datasetId][grantee];
        bool existed = g.seq != 0;
        if (existed && _inForce(g)) revert Conflict(datasetId);
        uint32 latest = ds.latestVersion;
        {
            uint256[] memory seen = _newSet(wraps.length);
            for (uint256 i; i < wraps.length; ++i) {
                uint32 v = wraps[i].version;
                if (!_insert(seen, v) || v > latest || !_covers(terms.scopeKind, terms.scopeVersion, v)) {
                    revert InvalidKeyWrap(datasetId, v, grantee);
                }
            }
            uint256 sv = terms.scopeVersion;
            uint256 covered = terms.scopeKind == _SCOPE_ALL
                ? latest
                : sv > latest ? 0 : terms.scopeKind == _SCOPE_FROM ? latest - sv + 1 : 1;
            if (covered != wraps.length) revert InvalidKeyWrap(datasetId, 0, grantee);
        }
        uint32 seq = ds.grantCount + 1;
        g.seq = seq;
        g.scopeKind = terms.scopeKind;
        g.scopeVersion = terms.scopeVersion;
        g.revoked = false;
        g.hasPriceOverride = terms.hasPriceOverride;
        g.maxAccesses = terms.maxAccesses;
        g.used = 0;
        g.expiresAt = terms.expiresAt;
        g.grantedAt = uint64(block.timestamp);
        g.revokedAt = 0;
        g.priceOverride = terms.hasPriceOverride ? terms.priceOverride : 0;
        g.pinnedPerAccess = ds.pricePerAccess;
        g.pinnedPerByte = ds.pricePerByte;
        g.pinnedCurrency = ds.currency;
        g.lastUsedAt = 0;
        for (uint256 i; i < wraps.length; ++i) _setWrapBlock(datasetId, grantee, wraps[i].version);
        ds.grantCount = seq;
        if (!existed) _grantees[datasetId].push(grantee);
        if (_activeSlot[datasetId][grantee] == 0) {
            _active[datasetId].push(grantee);
            _activeSlot[datasetId][grantee] = _active[datasetId].length;
        }
        emit AccessGranted(
            datasetId,
            grantee,
            msg.sender,
            seq,
            terms,
            PinnedTerms(ds.pricePerAccess, ds.pricePerByte, ds.currency),
            uint64(block.timestamp),
            wraps
        );
    }

    /// @notice The owner adds or replaces key wraps of existing versions for a member entitled to them (the owner,
    /// the escrow regulator, or a grantee whose grant is in force and covers the version).
    /// @param datasetId Dataset id.
    /// @param member The member the keys are wrapped for.
    /// @param wraps One wrapped key per version, in any order, no version twice.
    function addKeyWraps(bytes32 datasetId, address member, VersionWrap[] calldata wraps) external {
        _checkVersionWrapShape(wraps, 1);
        DatasetRecord storage ds = _owned(datasetId);
        address escrow = _settings.regulatorEscrow;
        uint256[] memory seen = _newSet(wraps.length);
        for (uint256 i; i < wraps.length; ++i) {
            uint32 v = wraps[i].version;
            if (!_insert(seen, v)) revert InvalidKeyWrap(datasetId, v, member);
            if (v > ds.latestVersion) revert VersionNotFound(datasetId, v);
            if (!_entitled(datasetId, ds.owner, escrow, member, v)) revert InvalidKeyWrap(datasetId, v, member);
        }
        for (uint256 i; i < wraps.length; ++i) _setWrapBlock(datasetId, member, wraps[i].version);
        emit KeysWrapped(datasetId, member, msg.sender, wraps);
    }

    /// @notice The owner revokes a grant, forward-only: usage is refused from now on and no later key is wrapped
    /// for the grantee.
    /// @param datasetId Dataset id.
    /// @param grantee The grantee.
    function revokeAccess(bytes32 datasetId, address grantee) external {
        _owned(datasetId);
        GrantRecord storage g = _grants[datasetId][grantee];
        if (g.seq == 0) revert GrantNotFound(datasetId, grantee);
        if (g.revoked) revert Conflict(datasetId);
        g.revoked = true;
        g.revokedAt = uint64(block.timestamp);
        _leaveActive(datasetId, grantee);
        emit AccessRevoked(datasetId, grantee, msg.sender, g.seq);
    }

    /// @notice The grantee (the caller) accepts the dataset's current price terms for its grant in force; until then
    /// the grant keeps the terms it was made under. Accepting the terms already pinned changes nothing.
    /// @param datasetId Dataset id.
    /// @param terms The terms accepted; must be the dataset's current ones.
    function acceptTerms(bytes32 datasetId, PinnedTerms calldata terms) external {
        _checkCurrency(terms.currency);
        _activeCaller();
        DatasetRecord storage ds = _datasets[datasetId];
        if (ds.owner == address(0)) revert DatasetNotFound(datasetId);
        GrantRecord storage g = _grants[datasetId][msg.sender];
        if (g.seq == 0) revert GrantNotFound(datasetId, msg.sender);
        if (g.revoked) revert GrantRevoked(0, datasetId, 0);
        if (g.expiresAt != 0 && block.timestamp >= g.expiresAt) revert GrantExpired(0, datasetId, 0, g.expiresAt);
        if (
            terms.pricePerAccess != ds.pricePerAccess || terms.pricePerByte != ds.pricePerByte
                || terms.currency != ds.currency
        ) revert Conflict(datasetId);
        if (
            terms.pricePerAccess == g.pinnedPerAccess && terms.pricePerByte == g.pinnedPerByte
                && terms.currency == g.pinnedCurrency
        ) return;
        g.pinnedPerAccess = terms.pricePerAccess;
        g.pinnedPerByte = terms.pricePerByte;
        g.pinnedCurrency = terms.currency;
        emit TermsAccepted(datasetId, msg.sender, g.seq, terms);
    }

    // -------------------------------------------------------------------- usage

    /// @notice The caller (a consumer) records accesses, one or a batch of up to 1000, all-or-nothing. Each record
    /// is refused outside a grant in force, for a version the scope does not cover, past the quota, with bytes other
    /// than the version's size, with an amount other than the terms give, or with a nonce already used.
    /// @dev Compact encoding, two words per record: claims[2i] = nonce << 128 | amount;
    /// claims[2i + 1] = wrapIndex << 128 | datasetIndex << 96 | version << 64 | bytes, where datasetIndex points into
    /// `datasetIds` (strictly increasing, each referenced) and wrapIndex into `wrapHashes`, the SHA-256 of each key
    /// wrap the consumer was served (its evidence, recorded as given; one entry per distinct wrap of the batch).
    /// A batch reads and writes each grant, totals and nonce word once.
    /// @param datasetIds The distinct datasets of the batch, strictly increasing.
    /// @param wrapHashes The distinct key-wrap hashes the records name.
    /// @param claims The records.
    function recordUsage(bytes32[] calldata datasetIds, bytes32[] calldata wrapHashes, uint256[] calldata claims)
        external
    {
        uint256 n = claims.length / 2;
        if (claims.length % 2 != 0 || n == 0 || n > _MAX_USAGE_BATCH) revert InvalidInput("records");
        if (wrapHashes.length == 0 || wrapHashes.length > n) revert InvalidInput("records");
        for (uint256 k = 1; k < datasetIds.length; ++k) {
            if (datasetIds[k] <= datasetIds[k - 1]) revert InvalidInput("datasetIds");
        }
        _activeCaller();
        uint256 period = block.timestamp / _settings.periodSeconds;
        UsageContext[] memory ctx = new UsageContext[](datasetIds.length);
        NonceCursor memory cursor;
        for (uint256 i; i < n; ) {
            unchecked {
                _recordOne(i, datasetIds, wrapHashes.length, ctx, cursor, claims[2 * i], claims[2 * i + 1]);
                ++i;
            }
        }
        if (cursor.loaded) _nonces[msg.sender][cursor.word] = cursor.bits;
        uint256[] memory context = new uint256[](ctx.length);
        for (uint256 k; k < ctx.length; ++k) {
            UsageContext memory c = ctx[k];
            if (!c.loaded) revert InvalidInput("datasetIds");
            GrantRecord storage g = _grants[datasetIds[k]][msg.sender];
            g.used = uint32(c.used);
            g.lastUsedAt = uint64(block.timestamp);
            Totals storage t = _totals[_statementKey(c.owner, msg.sender, period, c.currency)];
            uint256 count = t.count + c.count;
            uint256 byteCount = t.byteCount + c.byteCount;
            uint256 amount = t.amount + c.amount;
            if (count > _MAX_SAFE || byteCount > _MAX_SAFE || amount > type(uint128).max) revert InvalidInput("totals");
            t.count = uint64(count);
            t.byteCount = uint64(byteCount);
            t.amount = uint128(amount);
            context[k] = (uint256(uint160(c.owner)) << 96) | (uint256(c.seq) << 64) | uint64(c.currency);
        }
        emit UsageRecorded(
            msg.sender, uint64(period), uint64(block.timestamp), datasetIds, context, wrapHashes, claims
        );
    }

    // ------------------------------------------------------------------ billing

    /// @notice The provider or the consumer acknowledges the open statement of a key (the records after those
    /// already settled): its digest and totals, which must equal the ledger's running totals less what was settled.
    /// The statement settles when both sides acknowledged the same digest and totals. Acknowledging what this side
    /// already acknowledged, or the statement last settled, changes nothing and emits nothing.
    /// @param provider Statement provider.
    /// @param consumer Statement consumer.
    /// @param period Billing period index.
    /// @param currency Currency code.
    /// @param digest Statement digest.
    /// @param amount Total amount of the open statement.
    /// @param count Number of records of the open statement.
    function acknowledgeStatement(
        address provider,
        address consumer,
        uint64 period,
        bytes8 currency,
        bytes32 digest,
        uint128 amount,
        uint64 count
    ) external {
        _checkCurrency(currency);
        if (period > _MAX_SAFE || count > _MAX_SAFE) revert InvalidInput("period");
        _activeCaller();
        uint8 side = msg.sender == provider ? _ACK_PROVIDER : msg.sender == consumer ? _ACK_CONSUMER : 0;
        if (side == 0 || provider == consumer) revert AccessDenied(msg.sender, 0);
        bytes32 key = _statementKey(provider, consumer, period, currency);
        SettlementView storage s = _settlements[key];
        Ack memory ack = Ack(digest, amount, count);
        if (s.statements != 0 && _sameAck(Ack(s.settledDigest, s.settledAmount, s.settledCount), ack)) return;
        Ack storage mine = side == _ACK_PROVIDER ? s.providerAck : s.consumerAck;
        if (s.flags & side != 0 && _sameAck(mine, ack)) return;
        if (count == 0) revert InvalidInput("count");
        Totals storage t = _totals[key];
        uint128 openAmount = t.amount - s.closedAmount;
        uint64 openCount = t.count - s.closedCount;
        if (openAmount != amount || openCount != count) revert SettlementMismatch(openAmount, openCount, amount, count);
        mine.digest = digest;
        mine.amount = amount;
        mine.count = count;
        s.flags |= side;
        emit StatementAcknowledged(provider, consumer, msg.sender, period, currency, digest, amount, count);
        Ack storage other = side == _ACK_PROVIDER ? s.consumerAck : s.providerAck;
        if (s.flags & (_ACK_PROVIDER | _ACK_CONSUMER) == (_ACK_PROVIDER | _ACK_CONSUMER) && _sameAck(other, ack)) {
            uint32 sequence = s.statements + 1;
            s.statements = sequence;
            s.closedCount += count;
            s.closedAmount += amount;
            s.settledDigest = digest;
            s.settledAmount = amount;
            s.settledCount = count;
            s.settledAt = uint64(block.timestamp);
            s.flags = 0;
            delete s.providerAck;
            delete s.consumerAck;
            emit StatementSettled(provider, consumer, period, currency, sequence, digest, amount, count);
        }
    }

    // ---------------------------------------------------------------- internals

    function _recordOne(
        uint256 i,
        bytes32[] calldata datasetIds,
        uint256 wrapCount,
        UsageContext[] memory ctx,
        NonceCursor memory cursor,
        uint256 w0,
        uint256 w1
    ) private {
        uint256 version = (w1 >> 64) & 0xffffffff;
        uint256 byteCount = w1 & 0xffffffffffffffff;
        uint256 index = (w1 >> 96) & 0xffffffff;
        if (
            w1 >> 144 != 0 || (w1 >> 128) & 0xffff >= wrapCount || index >= ctx.length || version == 0
                || byteCount > _MAX_SAFE
        ) {
            revert InvalidInput("records");
        }
        bytes32 id = datasetIds[index];
        UsageContext memory c = ctx[index];
        if (!c.loaded) _loadUsageContext(c, i, id, uint32(version));
        if (version != c.version) {
            if (version > c.latestVersion) revert VersionNotFound(id, uint32(version));
            if (!_covers(uint8(c.scopeKind), uint32(c.scopeVersion), uint32(version))) {
                revert UsageDenied(i, id, uint32(version));
            }
            uint256 size = _versions[id][version].size;
            c.version = version;
            c.size = size;
            c.expected = c.hasPriceOverride ? c.priceOverride : c.pricePerAccess + c.pricePerByte * size;
        }
        if (c.maxAccesses != 0 && c.used >= c.maxAccesses) {
            revert QuotaExceeded(i, id, uint32(version), uint32(c.maxAccesses));
        }
        if (byteCount != c.size) revert InvalidUsageBytes(i, id, uint32(version));
        uint256 amount = w0 & type(uint128).max;
        if (amount != c.expected) revert AmountMismatch(i, id, uint32(version), c.expected, uint128(amount));
        uint256 nonce = w0 >> 128;
        uint256 word = nonce >> 8;
        if (!cursor.loaded || cursor.word != word) {
            if (cursor.loaded) _nonces[msg.sender][cursor.word] = cursor.bits;
            cursor.loaded = true;
            cursor.word = word;
            cursor.bits = _nonces[msg.sender][word];
        }
        uint256 bit = 1 << (nonce & 0xff);
        if (cursor.bits & bit != 0) revert NonceReused(i, id, uint32(version), uint128(nonce));
        cursor.bits |= bit;
        if (c.used == type(uint32).max) revert InvalidInput("grant.used");
        unchecked {
            ++c.used;
            ++c.count;
            c.byteCount += byteCount;
            c.amount += amount;
        }
    }

    /// @dev First reference to a dataset in a batch: the checks that do not depend on the record, in core's order.
    function _loadUsageContext(UsageContext memory c, uint256 i, bytes32 id, uint32 version) private view {
        DatasetRecord storage ds = _datasets[id];
        if (ds.owner == address(0)) revert DatasetNotFound(id);
        GrantRecord memory g = _grants[id][msg.sender];
        if (g.seq == 0) revert UsageDenied(i, id, version);
        if (g.revoked) revert GrantRevoked(i, id, version);
        if (g.expiresAt != 0 && block.timestamp >= g.expiresAt) revert GrantExpired(i, id, version, g.expiresAt);
        if (block.timestamp < g.grantedAt || block.timestamp < g.lastUsedAt) revert Conflict(id);
        c.loaded = true;
        c.owner = ds.owner;
        c.currency = g.pinnedCurrency;
        c.latestVersion = ds.latestVersion;
        c.pricePerAccess = g.pinnedPerAccess;
        c.pricePerByte = g.pinnedPerByte;
        c.seq = g.seq;
        c.maxAccesses = g.maxAccesses;
        c.used = g.used;
        c.scopeKind = g.scopeKind;
        c.scopeVersion = g.scopeVersion;
        c.hasPriceOverride = g.hasPriceOverride;
        c.priceOverride = g.priceOverride;
    }

    function _activeCaller() private view returns (MemberRecord storage m) {
        m = _members[msg.sender];
        if (m.status != _ACTIVE) revert AccessDenied(msg.sender, 0);
    }

    function _requireAdmin() private view {
        if (_activeCaller().roles & _ADMIN == 0) revert AccessDenied(msg.sender, 0);
    }

    function _owned(bytes32 datasetId) private view returns (DatasetRecord storage ds) {
        _activeCaller();
        ds = _datasets[datasetId];
        if (ds.owner == address(0)) revert DatasetNotFound(datasetId);
        if (ds.owner != msg.sender) revert AccessDenied(msg.sender, datasetId);
    }

    function _ownedActive(bytes32 datasetId) private view returns (DatasetRecord storage ds) {
        ds = _owned(datasetId);
        if (ds.retired) revert Conflict(datasetId);
    }

    function _setTerms(DatasetRecord storage ds, Metadata calldata metadata, Terms calldata terms) private {
        ds.currency = terms.currency;
        ds.pricePerAccess = terms.pricePerAccess;
        ds.pricePerByte = terms.pricePerByte;
        ds.infoBlock = uint64(block.number);
        ds.infoHash = keccak256(abi.encode(metadata, terms.licence));
    }

    function _setWrapBlock(bytes32 datasetId, address member, uint32 version) private {
        uint256 shift = uint256(version & 3) * 64;
        mapping(uint256 => uint256) storage buckets = _wrapBlocks[datasetId][member];
        uint256 word = buckets[version >> 2];
        buckets[version >> 2] = (word & ~(uint256(type(uint64).max) << shift)) | (block.number << shift);
    }

    function _checkVersionWraps(bytes32 id, address owner, uint32 number, MemberWrap[] calldata wraps) private view {
        address escrow = _settings.regulatorEscrow;
        uint256[] memory seen = _newSet(wraps.length);
        for (uint256 i; i < wraps.length; ++i) {
            address m = wraps[i].member;
            if (!_insert(seen, uint160(m)) || !_entitled(id, owner, escrow, m, number)) {
                revert InvalidKeyWrap(id, number, m);
            }
        }
        uint256 required = escrow != address(0) && escrow != owner ? 2 : 1;
        address[] storage grantees = _active[id];
        for (uint256 i; i < grantees.length; ++i) {
            address g = grantees[i];
            if (g != escrow && _grantEntitles(id, g, number)) ++required;
        }
        if (required != wraps.length) revert InvalidKeyWrap(id, number, address(0));
    }

    /// @dev Drops grants that expired from the active set: each is paid for once, by the next publish.
    function _pruneExpired(bytes32 id) private {
        address[] storage active = _active[id];
        for (uint256 i = active.length; i > 0; --i) {
            GrantRecord storage g = _grants[id][active[i - 1]];
            if (g.expiresAt != 0 && block.timestamp >= g.expiresAt) _leaveActive(id, active[i - 1]);
        }
    }

    function _leaveActive(bytes32 id, address grantee) private {
        uint256 slot = _activeSlot[id][grantee];
        if (slot == 0) return;
        address[] storage active = _active[id];
        address last = active[active.length - 1];
        active[slot - 1] = last;
        _activeSlot[id][last] = slot;
        active.pop();
        delete _activeSlot[id][grantee];
    }

    function _sameAck(Ack memory a, Ack memory b) private pure returns (bool) {
        return a.digest == b.digest && a.amount == b.amount && a.count == b.count;
    }

    function _entitled(bytes32 id, address owner, address escrow, address member, uint32 number)
        private
        view
        returns (bool)
    {
        return member == owner || (escrow != address(0) && member == escrow) || _grantEntitles(id, member, number);
    }

    function _grantEntitles(bytes32 id, address member, uint32 number) private view returns (bool) {
        GrantRecord storage g = _grants[id][member];
        return _inForce(g) && _covers(g.scopeKind, g.scopeVersion, number) && _members[member].status == _ACTIVE;
    }

    /// @dev An open-addressing hash set in memory (sized >= 2n): duplicate detection in input order, O(n).
    function _newSet(uint256 n) private pure returns (uint256[] memory) {
        uint256 size = 4;
        while (size < 2 * n) size <<= 1;
        return new uint256[](size);
    }

    function _insert(uint256[] memory set, uint256 key) private pure returns (bool fresh) {
        uint256 mask = set.length - 1;
        uint256 entry = key + 1;
        uint256 i;
        assembly ("memory-safe") {
            mstore(0, key)
            i := and(keccak256(0, 32), mask)
        }
        for (;;) {
            uint256 v = set[i];
            if (v == 0) {
                set[i] = entry;
                return true;
            }
            if (v == entry) return false;
            i = (i + 1) & mask;
        }
    }

    function _parseHex32(string calldata s) private pure returns (bool, bytes32) {
        bytes calldata b = bytes(s);
        if (b.length != 64) return (false, 0);
        uint256 v;
        for (uint256 i; i < 64; ++i) {
            uint8 c = uint8(b[i]);
            uint256 d;
            if (c >= 0x30 && c <= 0x39) d = c - 0x30;
            else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
            else return (false, 0);
            v = (v << 4) | d;
        }
        return (true, bytes32(v));
    }

    // ------------------------------------------------------------ input shapes

    /// @dev Core's envelope-key rule: refuses the X25519 public keys of small order (libsodium's list, compared
    /// with the top bit of the last byte cleared), whose shared secrets are all zero, so no publish can be blocked.
    function _checkEnvelopeKey(bytes32 key) private pure {
        if (isWeakEnvelopeKey(key)) revert InvalidInput("envelopeKey");
    }

    function _checkRoles(uint8 roles) private pure {
        if (roles == 0 || roles > ROLE_ALL) revert InvalidInput("roles");
    }

    function _checkSettings(Settings calldata s) private pure {
        if (s.admission >= ADMISSION_COUNT || s.periodSeconds < LIMIT_MIN_PERIOD_SECONDS || s.periodSeconds > LIMIT_MAX_PERIOD_SECONDS) revert InvalidInput("settings");
    }

    function _checkMetadata(Metadata calldata md, Terms calldata terms) private pure {
        _checkText(md.title, 1, LIMIT_TITLE, "metadata.title");
        _checkText(md.description, 0, LIMIT_DESCRIPTION, "metadata.description");
        if (md.tags.length > LIMIT_TAGS) revert InvalidInput("metadata.tags");
        for (uint256 i; i < md.tags.length; ++i) {
            _checkText(md.tags[i], 1, LIMIT_TAG, "metadata.tags");
            _checkAlphabet(md.tags[i], _TAG, "metadata.tags");
        }
        _checkText(md.mediaType, 0, LIMIT_MEDIA_TYPE, "metadata.mediaType");
        _checkText(md.schema, 0, LIMIT_SCHEMA, "metadata.schema");
        _checkText(terms.licence, 0, LIMIT_LICENCE, "terms.licence");
        _checkCurrency(terms.currency);
    }

    function _checkVersion(VersionParams calldata v, MemberWrap[] calldata wraps) private pure {
        if (v.number == 0) revert InvalidInput("number");
        if (v.size == 0 || v.size > _MAX_SAFE) revert InvalidInput("size");
        if (v.chunkSize < LIMIT_MIN_CHUNK_SIZE || v.chunkSize > LIMIT_MAX_CHUNK_SIZE) revert InvalidInput("chunkSize");
        if (v.chunkCount == 0) revert InvalidInput("chunkCount");
        if (v.chunkCount != (uint256(v.size) + v.chunkSize - 1) / v.chunkSize) revert InvalidInput("chunkCount");
        if (v.header.length == 0 || v.header.length > LIMIT_HEADER) revert InvalidInput("header");
        _checkText(v.location.store, 1, LIMIT_STORE_NAME, "location.store");
        _checkAlphabet(v.location.store, _STORE_NAME, "location.store");
        _checkText(v.location.addr, 1, LIMIT_STORE_ADDRESS, "location.address");
        _checkAlphabet(v.location.addr, _PRINTABLE, "location.address");
        if (wraps.length == 0 || wraps.length > _MAX_WRAPS) revert InvalidInput("wraps");
        for (uint256 i; i < wraps.length; ++i) {
            _checkWrap(wraps[i].wrapped);
        }
    }

    function _checkVersionWrapShape(VersionWrap[] calldata wraps, uint256 min) private pure {
        if (wraps.length < min || wraps.length > _MAX_WRAPS) revert InvalidInput("wraps");
        for (uint256 i; i < wraps.length; ++i) {
            if (wraps[i].version == 0) revert InvalidInput("wraps");
            _checkWrap(wraps[i].wrapped);
        }
    }

    /// @dev Core's key-wrap shape: the 91-byte envelope `DPKW`, version 1, HPKE suite 0x0020 0x0001 0x0003, then
    /// enc and the sealed key.
    function _checkWrap(bytes calldata w) private pure {
        if (w.length != WRAP_LENGTH || bytes11(w[0:11]) != WRAP_PREFIX) revert InvalidInput("wraps");
    }

    uint8 private constant _TAG = 0;
    uint8 private constant _PRINTABLE = 1;
    uint8 private constant _STORE_NAME = 2;

    /// @dev Core's character rules, byte by byte: a tag has no ASCII control or space byte (multi-byte UTF-8 passes,
    /// as in core); an address is printable ASCII without spaces; a store name is [a-z0-9] then [a-z0-9._-].
    function _checkAlphabet(string calldata s, uint8 kind, string memory argument) private pure {
        bytes calldata b = bytes(s);
        for (uint256 i; i < b.length; ++i) {
            uint8 c = uint8(b[i]);
            bool ok;
            if (kind == _TAG) ok = c > 0x20 && c != 0x7f;
            else if (kind == _PRINTABLE) ok = c > 0x20 && c < 0x7f;
            else
                ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)
                    || (i > 0 && (c == 0x2e || c == 0x5f || c == 0x2d));
            if (!ok) revert InvalidInput(argument);
        }
    }

    /// @dev Core counts UTF-16 code units; a UTF-8 string of n bytes has at most n of them, so only long non-ASCII
    /// strings are counted exactly (lead bytes count 1, four-byte sequences 2).
    function _checkText(string calldata s, uint256 min, uint256 max, string memory argument) private pure {
        bytes calldata b = bytes(s);
        if (b.length < min || b.length > 3 * max) revert InvalidInput(argument);
        if (b.length <= max) return;
        uint256 units;
        for (uint256 i; i < b.length; ++i) {
            uint8 c = uint8(b[i]);
            if (c & 0xc0 != 0x80) units += c >= 0xf0 ? 2 : 1;
        }
        if (units > max) revert InvalidInput(argument);
    }

    function _checkCurrency(bytes8 currency) private pure {
        uint256 len;
        while (len < 8) {
            bytes1 c = currency[len];
            if (c == 0) break;
            if (!((c >= "A" && c <= "Z") || (c >= "0" && c <= "9"))) revert InvalidInput("currency");
            ++len;
        }
        if (len < 3 || uint64(uint256(uint64(currency)) << (8 * len)) != 0) revert InvalidInput("currency");
    }
}
