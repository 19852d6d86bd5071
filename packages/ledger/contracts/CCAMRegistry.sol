// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title CCAMRegistry
/// @notice Commitments of the CCAM AI audit log: CCAM referential versions, the successive tree heads of the
/// RFC 9162 Merkle log of decisions, and physician/coder-signed overrides. No personal data is ever stored:
/// only hashes, sizes and addresses.
contract CCAMRegistry is AccessControl, EIP712, Nonces {
    /// @notice The back end that anchors tree heads and relays signed overrides.
    bytes32 public constant RECORDER_ROLE = keccak256("RECORDER_ROLE");
    /// @notice Who may register a new CCAM referential version.
    bytes32 public constant REFERENTIAL_ADMIN_ROLE = keccak256("REFERENTIAL_ADMIN_ROLE");

    bytes32 public constant OVERRIDE_TYPEHASH =
        keccak256("Override(bytes32 decisionId,bytes32 contentHash,address signer,uint256 nonce,uint256 deadline)");

    struct TreeHead {
        bytes32 root;
        uint64 previousSize;
        uint64 firstSeq;
        uint64 blockNumber;
        uint64 timestamp;
    }

    struct Referential {
        bytes32 sourceSha256;
        uint64 registeredAt;
    }

    struct OverrideRecord {
        bytes32 contentHash;
        address signer;
        uint64 recordedAt;
    }

    /// @notice Size of the latest anchored tree (= number of leaves committed so far).
    uint64 public latestSize;
    /// @notice Root of the latest anchored tree; zero while the log is empty.
    bytes32 public latestRoot;

    mapping(uint64 size => TreeHead) private _heads;
    mapping(bytes32 versionKey => Referential) private _referentials;
    mapping(bytes32 decisionId => OverrideRecord) private _overrides;

    event BatchAnchored(
        uint64 indexed treeSize,
        bytes32 indexed root,
        bytes32 previousRoot,
        uint64 firstSeq,
        uint64 lastSeq,
        uint64 leafCount
    );
    event ReferentialRegistered(bytes32 indexed versionKey, string versionId, bytes32 sourceSha256);
    event OverrideRecorded(bytes32 indexed decisionId, address indexed signer, bytes32 contentHash, uint256 nonce);

    error InvalidBatch(uint64 firstSeq, uint64 lastSeq, uint64 leafCount);
    error UnexpectedFirstSeq(uint64 expected, uint64 actual);
    error PreviousRootMismatch(bytes32 expected, bytes32 actual);
    error ZeroHash();
    error UnknownTreeHead(uint64 size);
    error EmptyVersionId();
    error ReferentialAlreadyRegistered(string versionId, bytes32 sourceSha256);
    error UnknownReferentialVersion(string versionId);
    error OverrideExpired(uint256 deadline);
    error OverrideAlreadyRecorded(bytes32 decisionId);
    error InvalidOverrideSignature(address signer);
    error UnknownOverride(bytes32 decisionId);

    constructor(address admin, address recorder, address referentialAdmin) EIP712("CCAMRegistry", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(RECORDER_ROLE, recorder);
        _grantRole(REFERENTIAL_ADMIN_ROLE, referentialAdmin);
    }

    /// @notice Appends the tree head covering leaves [firstSeq, lastSeq]. It must extend the latest head exactly
    /// (same previous root, no gap, no overlap), so the anchored roots form a chain and a batch can never be
    /// anchored twice.
    function anchorBatch(bytes32 root, uint64 leafCount, uint64 firstSeq, uint64 lastSeq, bytes32 previousRoot)
        external
        onlyRole(RECORDER_ROLE)
    {
        if (root == bytes32(0)) revert ZeroHash();
        if (leafCount == 0 || lastSeq < firstSeq || lastSeq - firstSeq + 1 != leafCount) {
            revert InvalidBatch(firstSeq, lastSeq, leafCount);
        }
        uint64 previousSize = latestSize;
        if (firstSeq != previousSize) revert UnexpectedFirstSeq(previousSize, firstSeq);
        if (previousRoot != latestRoot) revert PreviousRootMismatch(latestRoot, previousRoot);

        uint64 size = lastSeq + 1;
        _heads[size] = TreeHead({
            root: root,
            previousSize: previousSize,
            firstSeq: firstSeq,
            blockNumber: uint64(block.number),
            timestamp: uint64(block.timestamp)
        });
        latestSize = size;
        latestRoot = root;
        emit BatchAnchored(size, root, previousRoot, firstSeq, lastSeq, leafCount);
    }

    /// @notice The anchored head of the tree of `size` leaves; reverts if no batch ended at that size.
    function treeHead(uint64 size) external view returns (TreeHead memory head) {
        head = _heads[size];
        if (head.root == bytes32(0)) revert UnknownTreeHead(size);
    }

    function registerReferential(string calldata versionId, bytes32 sourceSha256)
        external
        onlyRole(REFERENTIAL_ADMIN_ROLE)
    {
        if (bytes(versionId).length == 0) revert EmptyVersionId();
        if (sourceSha256 == bytes32(0)) revert ZeroHash();
        bytes32 key = keccak256(bytes(versionId));
        Referential storage existing = _referentials[key];
        if (existing.sourceSha256 != bytes32(0)) {
            revert ReferentialAlreadyRegistered(versionId, existing.sourceSha256);
        }
        _referentials[key] = Referential({sourceSha256: sourceSha256, registeredAt: uint64(block.timestamp)});
        emit ReferentialRegistered(key, versionId, sourceSha256);
    }

    function referential(string calldata versionId) external view returns (Referential memory ref) {
        ref = _referentials[keccak256(bytes(versionId))];
        if (ref.sourceSha256 == bytes32(0)) revert UnknownReferentialVersion(versionId);
    }

    /// @notice Records an override signed (EIP-712) by the physician or coder. The signer's nonce makes each
    /// signature usable once; the domain (chain id, contract address) stops cross-chain replay.
    function recordOverride(
        bytes32 decisionId,
        bytes32 contentHash,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external onlyRole(RECORDER_ROLE) {
        if (block.timestamp > deadline) revert OverrideExpired(deadline);
        if (_overrides[decisionId].signer != address(0)) revert OverrideAlreadyRecorded(decisionId);
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(OVERRIDE_TYPEHASH, decisionId, contentHash, signer, nonce, deadline)));
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) {
            revert InvalidOverrideSignature(signer);
        }
        _useCheckedNonce(signer, nonce);
        _overrides[decisionId] =
            OverrideRecord({contentHash: contentHash, signer: signer, recordedAt: uint64(block.timestamp)});
        emit OverrideRecorded(decisionId, signer, contentHash, nonce);
    }

    function overrideOf(bytes32 decisionId) external view returns (OverrideRecord memory record) {
        record = _overrides[decisionId];
        if (record.signer == address(0)) revert UnknownOverride(decisionId);
    }
}
