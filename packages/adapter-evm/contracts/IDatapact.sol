// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Datapact ledger program: types, events and errors
/// @notice The consortium's rules for trading data, mirrored from the ledger program of datapact core
/// (packages/core/src/rules). Member ids are addresses, dataset and upload ids are bytes32, amounts are uint128,
/// times are block timestamps in seconds. Every state change emits one past-tense event carrying everything a
/// member's node needs to rebuild the corresponding core event.
/// @dev Roles are a bitmask in core's role order: admin = 1, provider = 2, consumer = 4, regulator = 8.
/// Errors are named after core's error codes; the client maps each name onto its code.
interface IDatapact {
    /// @notice Consortium settings.
    /// @param admission 0 = open (anyone joins), 1 = admin (an admin admits first).
    /// @param regulatorEscrow Regulator every version must be wrapped for; address(0) = none.
    /// @param periodSeconds Billing period length, 60 .. 366 days.
    struct Settings {
        uint8 admission;
        address regulatorEscrow;
        uint32 periodSeconds;
    }

    /// @notice Catalog metadata of a dataset. Kept in event logs; storage holds its hash (see {DatasetView}).
    struct Metadata {
        string title;
        string description;
        string[] tags;
        string mediaType;
        string schema;
    }

    /// @notice Commercial terms: amount per access = pricePerAccess + pricePerByte * bytes.
    /// @param currency 3 to 8 upper-case ASCII letters or digits, left-aligned, zero-padded.
    struct Terms {
        uint128 pricePerAccess;
        uint128 pricePerByte;
        bytes8 currency;
        string licence;
    }

    /// @notice Where a version's ciphertext lives: store `ledger` (an upload id in hex) or a named content store.
    struct Location {
        string store;
        string addr;
    }

    /// @notice A version to publish.
    struct VersionParams {
        bytes32 datasetId;
        uint32 number;
        bytes32 plaintextDigest;
        bytes32 merkleRoot;
        uint64 size;
        uint32 chunkSize;
        uint32 chunkCount;
        bytes header;
        bytes32 keyCommitment;
        Location location;
    }

    /// @notice A data key wrapped for a member (publishVersion).
    struct MemberWrap {
        address member;
        bytes wrapped;
    }

    /// @notice A data key of a version wrapped for one member (grantAccess, addKeyWraps).
    struct VersionWrap {
        uint32 version;
        bytes wrapped;
    }

    /// @notice Terms of a grant.
    /// @param scopeKind 0 = all versions (scopeVersion 0), 1 = from scopeVersion on, 2 = exactly scopeVersion.
    /// @param expiresAt Block timestamp from which usage is refused; 0 = never (a real expiry is always > now).
    /// @param maxAccesses Most accesses; 0 = unlimited (a real quota is always >= 1).
    /// @param hasPriceOverride Whether priceOverride replaces the dataset's terms (a 0 override is valid).
    struct GrantTerms {
        uint8 scopeKind;
        uint32 scopeVersion;
        uint64 expiresAt;
        uint32 maxAccesses;
        bool hasPriceOverride;
        uint128 priceOverride;
    }

    /// @notice The price a grant was made under (the dataset's terms then, or terms its grantee accepted later).
    struct PinnedTerms {
        uint128 pricePerAccess;
        uint128 pricePerByte;
        bytes8 currency;
    }

    /// @notice One party's acknowledgement of the open statement of a key.
    struct Ack {
        bytes32 digest;
        uint128 amount;
        uint64 count;
    }

    /// @notice A member as stored. status: 0 = none, 1 = active, 2 = left.
    struct MemberView {
        address id;
        uint8 status;
        uint8 roles;
        uint64 joinedAt;
        bytes32 envelopeKey;
        string name;
    }

    /// @notice A dataset as stored; metadata and licence are in the log of block `infoBlock`, hashed in `infoHash`.
    struct DatasetView {
        bytes32 id;
        address owner;
        bool retired;
        bool listed;
        uint32 latestVersion;
        uint32 grantCount;
        uint64 createdAt;
        bytes8 currency;
        uint128 pricePerAccess;
        uint128 pricePerByte;
        uint64 infoBlock;
        bytes32 infoHash;
    }

    /// @notice A version as stored; header and location are in the VersionPublished log of block `publishedBlock`.
    struct VersionView {
        uint32 number;
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

    /// @notice A grant as stored. seq 0 = no grant. lastUsedAt 0 = never used.
    struct GrantView {
        address grantee;
        uint32 seq;
        GrantTerms terms;
        uint32 used;
        bool revoked;
        uint64 grantedAt;
        uint64 revokedAt;
        PinnedTerms pinned;
        uint64 lastUsedAt;
    }

    /// @notice Running usage totals of one (provider, consumer, period, currency).
    struct Totals {
        uint64 count;
        uint64 byteCount;
        uint128 amount;
    }

    /// @notice Acknowledgement and settlement state of one statement key. flags: 1 = the provider acknowledged the
    /// open statement, 2 = the consumer did. The open statement covers the records after the `closedCount` settled
    /// ones; `settled*` describe the last settled statement (`statements` > 0).
    struct SettlementView {
        Ack providerAck;
        Ack consumerAck;
        uint32 statements;
        uint64 closedCount;
        uint128 closedAmount;
        bytes32 settledDigest;
        uint128 settledAmount;
        uint64 settledCount;
        uint64 settledAt;
        uint8 flags;
    }

    /// @notice Progress of a payload upload; each batch is `block << 32 | first chunk index`.
    struct UploadView {
        address owner;
        uint32 stored;
        bool complete;
        uint256[] batches;
    }

    /// @notice The first member bootstrapped the consortium and became its admin.
    /// @param admin The bootstrapping member.
    /// @param settings The initial settings.
    event ConsortiumBootstrapped(address indexed admin, Settings settings);

    /// @notice An admin replaced the consortium settings.
    /// @param admin The admin.
    /// @param settings The new settings.
    event SettingsUpdated(address indexed admin, Settings settings);

    /// @notice An admin admitted a future member with the roles it will have when it joins.
    /// @param member The admitted member.
    /// @param admin The admin.
    /// @param roles Role bitmask.
    event MemberAdmitted(address indexed member, address indexed admin, uint8 roles);

    /// @notice A member joined.
    /// @param member The member (the caller).
    /// @param name Display name.
    /// @param roles Role bitmask it holds.
    /// @param envelopeKey X25519 public key data keys are wrapped to.
    event MemberJoined(address indexed member, string name, uint8 roles, bytes32 envelopeKey);

    /// @notice An admin changed a member's roles.
    /// @param member The member.
    /// @param admin The admin.
    /// @param roles New role bitmask.
    event MemberRolesChanged(address indexed member, address indexed admin, uint8 roles);

    /// @notice A member replaced its envelope key.
    /// @param member The member.
    /// @param envelopeKey The new key.
    event EnvelopeKeyRotated(address indexed member, bytes32 envelopeKey);

    /// @notice A member left.
    /// @param member The member.
    event MemberLeft(address indexed member);

    /// @notice A provider registered a dataset.
    /// @param datasetId Dataset id.
    /// @param owner The provider (caller).
    /// @param metadata Catalog metadata.
    /// @param terms Commercial terms.
    /// @param listed Whether the catalog lists it.
    /// @param createdAt Block timestamp.
    event DatasetRegistered(
        bytes32 indexed datasetId, address indexed owner, Metadata metadata, Terms terms, bool listed, uint64 createdAt
    );

    /// @notice The owner replaced a dataset's metadata, terms and listing.
    /// @param datasetId Dataset id.
    /// @param owner The owner (caller).
    /// @param metadata Catalog metadata.
    /// @param terms Commercial terms.
    /// @param listed Whether the catalog lists it.
    event DatasetUpdated(bytes32 indexed datasetId, address indexed owner, Metadata metadata, Terms terms, bool listed);

    /// @notice The owner retired a dataset.
    /// @param datasetId Dataset id.
    /// @param owner The owner (caller).
    event DatasetRetired(bytes32 indexed datasetId, address indexed owner);

    /// @notice A provider stored ciphertext chunks of an upload; the chunks live in this log.
    /// @param upload Upload id.
    /// @param owner The uploading provider (caller).
    /// @param first Index of the first chunk.
    /// @param complete Whether this batch completed the upload.
    /// @param chunks The chunks.
    event PayloadStored(bytes32 indexed upload, address indexed owner, uint32 first, bool complete, bytes[] chunks);

    /// @notice The owner published a version and its data key wrapped for every entitled member.
    /// @param datasetId Dataset id.
    /// @param number Version number.
    /// @param publisher The owner (caller).
    /// @param version The published version.
    /// @param publishedAt Block timestamp.
    /// @param wraps The data key wrapped for each entitled member.
    event VersionPublished(
        bytes32 indexed datasetId,
        uint32 indexed number,
        address publisher,
        VersionParams version,
        uint64 publishedAt,
        MemberWrap[] wraps
    );

    /// @notice The owner granted a member access; the key of every covered existing version is wrapped for it.
    /// @param datasetId Dataset id.
    /// @param grantee The consumer.
    /// @param owner The owner (caller).
    /// @param seq Grant sequence number within the dataset.
    /// @param terms Scope, expiry, quota and price override.
    /// @param pinned The dataset's price terms, pinned in the grant.
    /// @param grantedAt Block timestamp.
    /// @param wraps Wrapped keys of the covered versions.
    event AccessGranted(
        bytes32 indexed datasetId,
        address indexed grantee,
        address owner,
        uint32 seq,
        GrantTerms terms,
        PinnedTerms pinned,
        uint64 grantedAt,
        VersionWrap[] wraps
    );

    /// @notice A grantee accepted the dataset's current terms for its grant in force.
    /// @param datasetId Dataset id.
    /// @param grantee The grantee (caller).
    /// @param seq Sequence number of the grant.
    /// @param terms The terms now pinned in the grant.
    event TermsAccepted(bytes32 indexed datasetId, address indexed grantee, uint32 seq, PinnedTerms terms);

    /// @notice The owner added or replaced key wraps of existing versions for an entitled member.
    /// @param datasetId Dataset id.
    /// @param member The member the keys are wrapped for.
    /// @param owner The owner (caller).
    /// @param wraps The wrapped keys.
    event KeysWrapped(bytes32 indexed datasetId, address indexed member, address owner, VersionWrap[] wraps);

    /// @notice The owner revoked a grant.
    /// @param datasetId Dataset id.
    /// @param grantee The consumer.
    /// @param owner The owner (caller).
    /// @param seq Sequence number of the revoked grant.
    event AccessRevoked(bytes32 indexed datasetId, address indexed grantee, address owner, uint32 seq);

    /// @notice A consumer recorded a batch of accesses (one or many), all in one billing period.
    /// @param consumer The consumer (caller).
    /// @param period Billing period index.
    /// @param at Block timestamp.
    /// @param datasetIds The batch's datasets, strictly increasing.
    /// @param context Per dataset: provider << 96 | grantSeq << 64 | currency.
    /// @param wrapHashes The distinct key-wrap hashes the records name.
    /// @param claims Two words per record, as passed to `recordUsage`.
    event UsageRecorded(
        address indexed consumer,
        uint64 period,
        uint64 at,
        bytes32[] datasetIds,
        uint256[] context,
        bytes32[] wrapHashes,
        uint256[] claims
    );

    /// @notice The provider or the consumer acknowledged a statement whose totals match the ledger's.
    /// @param provider Statement provider.
    /// @param consumer Statement consumer.
    /// @param party The acknowledging side (caller).
    /// @param period Billing period index.
    /// @param currency Currency code.
    /// @param digest Statement digest.
    /// @param amount Total amount.
    /// @param count Number of records.
    event StatementAcknowledged(
        address indexed provider,
        address indexed consumer,
        address indexed party,
        uint64 period,
        bytes8 currency,
        bytes32 digest,
        uint128 amount,
        uint64 count
    );

    /// @notice Both sides acknowledged the same digest and totals of the open statement: it is settled.
    /// @param provider Statement provider.
    /// @param consumer Statement consumer.
    /// @param period Billing period index.
    /// @param currency Currency code.
    /// @param sequence 1 for the key's first settled statement, then 2, 3, ...
    /// @param digest Statement digest.
    /// @param amount Amount of this statement.
    /// @param count Number of records of this statement.
    event StatementSettled(
        address indexed provider,
        address indexed consumer,
        uint64 period,
        bytes8 currency,
        uint32 sequence,
        bytes32 digest,
        uint128 amount,
        uint64 count
    );

    /// @notice INVALID_INPUT: an argument is malformed or not acceptable in the current state.
    /// @param argument Name of the argument (core's argument path).
    error InvalidInput(string argument);

    /// @notice INVALID_INPUT: a key wrap set is not exactly the entitled one (duplicate, not entitled, missing).
    /// @param datasetId Dataset id.
    /// @param version Version number (0 = a wrap is missing).
    /// @param member Member concerned (address(0) = a wrap is missing).
    error InvalidKeyWrap(bytes32 datasetId, uint32 version, address member);

    /// @notice INVALID_INPUT: a usage record's bytes differ from the version's size.
    /// @param index Record index in the batch.
    /// @param datasetId Dataset id.
    /// @param version Version number.
    error InvalidUsageBytes(uint256 index, bytes32 datasetId, uint32 version);

    /// @notice NOT_FOUND: no such dataset.
    /// @param datasetId Dataset id.
    error DatasetNotFound(bytes32 datasetId);

    /// @notice NOT_FOUND: no such version.
    /// @param datasetId Dataset id.
    /// @param version Version number.
    error VersionNotFound(bytes32 datasetId, uint32 version);

    /// @notice NOT_FOUND: no grant for this grantee.
    /// @param datasetId Dataset id.
    /// @param grantee The grantee.
    error GrantNotFound(bytes32 datasetId, address grantee);

    /// @notice NOT_FOUND: not an active member.
    /// @param member The member.
    error MemberNotFound(address member);

    /// @notice ACCESS_DENIED: the caller may not do this (not a member, wrong role, not the owner).
    /// @param caller The caller.
    /// @param subject Dataset or upload id concerned, or 0.
    error AccessDenied(address caller, bytes32 subject);

    /// @notice ACCESS_DENIED: the consumer holds no grant on the dataset, or its scope does not cover the version.
    /// @param index Record index in the batch.
    /// @param datasetId Dataset id.
    /// @param version Version number.
    error UsageDenied(uint256 index, bytes32 datasetId, uint32 version);

    /// @notice GRANT_EXPIRED: the grant expired.
    /// @param index Record index in the batch.
    /// @param datasetId Dataset id.
    /// @param version Version number.
    /// @param expiresAt The expiry.
    error GrantExpired(uint256 index, bytes32 datasetId, uint32 version, uint64 expiresAt);

    /// @notice GRANT_REVOKED: the grant was revoked.
    /// @param index Record index in the batch.
    /// @param datasetId Dataset id.
    /// @param version Version number.
    error GrantRevoked(uint256 index, bytes32 datasetId, uint32 version);

    /// @notice QUOTA_EXCEEDED: every access the grant allows is used.
    /// @param index Record index in the batch.
    /// @param datasetId Dataset id.
    /// @param version Version number.
    /// @param maxAccesses The quota.
    error QuotaExceeded(uint256 index, bytes32 datasetId, uint32 version, uint32 maxAccesses);

    /// @notice CONFLICT: the state does not allow this now (exists already, retired, in force, complete, ...).
    /// @param subject Id concerned (dataset, upload, or a member address as bytes32).
    error Conflict(bytes32 subject);

    /// @notice CONFLICT: a sequence number is not the next one (version number, chunk index).
    /// @param subject Dataset or upload id.
    /// @param expected The next number.
    /// @param got The number given.
    error OutOfSequence(bytes32 subject, uint256 expected, uint256 got);

    /// @notice NONCE_REUSED: the consumer already used this nonce.
    /// @param index Record index in the batch.
    /// @param datasetId Dataset id.
    /// @param version Version number.
    /// @param nonce The nonce.
    error NonceReused(uint256 index, bytes32 datasetId, uint32 version, uint128 nonce);

    /// @notice AMOUNT_MISMATCH: the amount differs from what the terms give.
    /// @param index Record index in the batch.
    /// @param datasetId Dataset id.
    /// @param version Version number.
    /// @param expected Amount the terms give.
    /// @param got Amount claimed.
    error AmountMismatch(uint256 index, bytes32 datasetId, uint32 version, uint256 expected, uint128 got);

    /// @notice SETTLEMENT_MISMATCH: the statement's totals differ from the ledger's running totals.
    /// @param ledgerAmount The ledger's amount.
    /// @param ledgerCount The ledger's count.
    /// @param amount The statement's amount.
    /// @param count The statement's count.
    error SettlementMismatch(uint128 ledgerAmount, uint64 ledgerCount, uint128 amount, uint64 count);
}
