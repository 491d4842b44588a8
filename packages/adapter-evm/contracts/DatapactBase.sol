// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IDatapact} from "./IDatapact.sol";
// Limits, enums and the envelope rules, generated from @datapact/core (scripts/constants.ts).
import "./DatapactConstants.sol";

/// @title Datapact storage layout, shared by the ledger program and its views
/// @dev Both `Datapact` (every rule that changes state) and `DatapactViews` (every read, reached through
/// `Datapact`'s fallback by DELEGATECALL) inherit this one layout and declare no state of their own, so they read and
/// write the same slots. The split keeps each deployed contract under EIP-170's 24,576 bytes.
abstract contract DatapactBase is IDatapact {
    uint8 internal constant _ADMIN = ROLE_ADMIN;
    uint8 internal constant _PROVIDER = ROLE_PROVIDER;
    uint8 internal constant _CONSUMER = ROLE_CONSUMER;
    uint8 internal constant _REGULATOR = ROLE_REGULATOR;
    uint8 internal constant _ACTIVE = 1;
    uint8 internal constant _LEFT = 2;
    uint8 internal constant _SCOPE_ALL = SCOPE_ALL;
    uint8 internal constant _SCOPE_FROM = SCOPE_FROM;
    uint8 internal constant _SCOPE_EXACT = SCOPE_EXACT;
    uint8 internal constant _ACK_PROVIDER = 1;
    uint8 internal constant _ACK_CONSUMER = 2;
    uint256 internal constant _MAX_SAFE = LIMIT_UINT53;
    uint256 internal constant _MAX_WRAPS = LIMIT_WRAPS;
    uint256 internal constant _MAX_USAGE_BATCH = LIMIT_USAGE_BATCH;
    uint256 internal constant _MAX_PAYLOAD_BATCH = LIMIT_PAYLOAD_BATCH;
    uint256 internal constant _MAX_CHUNK = LIMIT_CHUNK;

    struct SettingsRecord {
        bool bootstrapped;
        uint8 admission;
        address regulatorEscrow;
        uint32 periodSeconds;
    }

    struct MemberRecord {
        uint8 status;
        uint8 roles;
        uint64 joinedAt;
        bytes32 envelopeKey;
        string name;
    }

    struct DatasetRecord {
        address owner;
        bool retired;
        bool listed;
        uint32 latestVersion;
        uint32 grantCount;
        uint64 createdAt;
        bytes8 currency;
        uint64 infoBlock;
        uint128 pricePerAccess;
        uint128 pricePerByte;
        bytes32 infoHash;
    }

    struct VersionRecord {
        bytes32 plaintextDigest;
        bytes32 merkleRoot;
        uint64 size;
        uint32 chunkSize;
        uint32 chunkCount;
        uint64 publishedAt;
        uint64 publishedBlock;
        bytes32 infoHash;
        bytes32 keyCommitment;
    }

    struct GrantRecord {
        uint32 seq;
        uint8 scopeKind;
        uint32 scopeVersion;
        bool revoked;
        bool hasPriceOverride;
        uint32 maxAccesses;
        uint32 used;
        uint64 expiresAt;
        uint64 grantedAt;
        uint64 revokedAt;
        uint128 priceOverride;
        uint128 pinnedPerAccess;
        uint128 pinnedPerByte;
        bytes8 pinnedCurrency;
        uint64 lastUsedAt;
    }

    struct UploadRecord {
        address owner;
        uint32 stored;
        bool complete;
        uint32 batchCount;
    }

    /// @dev What one batch of usage needs of one dataset, read once, updated in memory, written once. The grant's
    /// state cannot change inside a batch, so it is checked when the dataset is first referenced; `version`, `size`
    /// and `expected` cache the last version checked (its existence, coverage, size and price).
    struct UsageContext {
        bool loaded;
        address owner;
        bytes8 currency;
        uint256 latestVersion;
        uint256 seq;
        uint256 maxAccesses;
        uint256 used;
        uint256 scopeKind;
        uint256 scopeVersion;
        bool hasPriceOverride;
        uint256 priceOverride;
        uint256 pricePerAccess;
        uint256 pricePerByte;
        uint256 version;
        uint256 size;
        uint256 expected;
        uint256 count;
        uint256 byteCount;
        uint256 amount;
    }

    /// @dev The nonce bitmap word a batch is working on (written back when the batch moves to another word).
    struct NonceCursor {
        bool loaded;
        uint256 word;
        uint256 bits;
    }

        SettingsRecord internal _settings;
    mapping(address member => MemberRecord) internal _members;
    address[] internal _memberIds;
    mapping(address member => uint8 roles) internal _admissions;
    uint256 internal _activeAdmins;
    mapping(bytes32 datasetId => DatasetRecord) internal _datasets;
    bytes32[] internal _datasetIds;
    mapping(bytes32 datasetId => mapping(uint256 number => VersionRecord)) internal _versions;
    mapping(bytes32 datasetId => mapping(address grantee => GrantRecord)) internal _grants;
    mapping(bytes32 datasetId => address[]) internal _grantees;
    /// @dev Grantees whose grant may be in force (not revoked; expired ones are pruned at the next publish), and
    /// each one's position + 1: a publish checks these, not every grant ever made.
    mapping(bytes32 datasetId => address[]) internal _active;
    mapping(bytes32 datasetId => mapping(address grantee => uint256 slot)) internal _activeSlot;
    /// @dev Block of the last AccessGranted/KeysWrapped log carrying a wrap, four uint64 per word (version / 4).
    mapping(bytes32 datasetId => mapping(address member => mapping(uint256 bucket => uint256))) internal _wrapBlocks;
    /// @dev Used nonces: bit (nonce % 256) of word (nonce / 256). Nonces sharing their top 120 bits share a slot.
    mapping(address consumer => mapping(uint256 word => uint256 bits)) internal _nonces;
    mapping(bytes32 statementKey => Totals) internal _totals;
    mapping(bytes32 statementKey => SettlementView) internal _settlements;
    mapping(bytes32 upload => UploadRecord) internal _uploads;
    mapping(bytes32 upload => mapping(uint256 index => uint256 batch)) internal _uploadBatches;

    function _inForce(GrantRecord storage g) internal view returns (bool) {
        return g.seq != 0 && !g.revoked && (g.expiresAt == 0 || block.timestamp < g.expiresAt);
    }

    function _covers(uint8 kind, uint32 scopeVersion, uint32 n) internal pure returns (bool) {
        return kind == _SCOPE_ALL || (kind == _SCOPE_FROM ? n >= scopeVersion : n == scopeVersion);
    }

    function _statementKey(address provider, address consumer, uint256 period, bytes8 currency)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(provider, consumer, period, currency));
    }

}
