//! The transparency log's Merkle tree (RFC 6962 section 2.1, RFC 9162 section 2.1): leaf hash
//! `SHA-256(0x00 || data)`, node hash `SHA-256(0x01 || left || right)`, the root of an empty
//! tree `SHA-256("")`; inclusion and consistency proofs and their verification.
//!
//! Pure: the tree lives in the store as its complete subtrees ([`Node`]: the root of the `2^level`
//! leaves from `index * 2^level`), which is what tiles serve. Every computation asks a getter for
//! the nodes it needs; the nodes a computation needs depend only on the sizes, never on the
//! hashes, so a caller first runs it with [`needed`] to learn which nodes to read, reads them in
//! one query, and runs it again with them.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// The root of the complete subtree of `2^level` leaves that starts at leaf `index << level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Node {
    pub level: u8,
    pub index: u64,
}

pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two smaller than `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The hash of leaves `lo..hi` as RFC 6962 defines it (MTH), from complete subtrees.
fn range(lo: u64, hi: u64, get: &mut dyn FnMut(Node) -> Hash) -> Hash {
    let n = hi - lo;
    if n.is_power_of_two() && lo.is_multiple_of(n) {
        let level = n.trailing_zeros() as u8;
        return get(Node {
            level,
            index: lo >> level,
        });
    }
    let k = split(n);
    let left = range(lo, lo + k, get);
    let right = range(lo + k, hi, get);
    node_hash(&left, &right)
}

/// The root of the first `size` leaves.
pub fn root(size: u64, get: &mut dyn FnMut(Node) -> Hash) -> Hash {
    if size == 0 {
        empty_root()
    } else {
        range(0, size, get)
    }
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 6962 PATH), from the
/// leaf's sibling up. `None` if the leaf is not in the tree.
pub fn inclusion_proof(
    index: u64,
    size: u64,
    get: &mut dyn FnMut(Node) -> Hash,
) -> Option<Vec<Hash>> {
    if index >= size {
        return None;
    }
    let mut proof = Vec::new();
    path(index, 0, size, get, &mut proof);
    Some(proof)
}

fn path(m: u64, lo: u64, hi: u64, get: &mut dyn FnMut(Node) -> Hash, out: &mut Vec<Hash>) {
    let n = hi - lo;
    if n == 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(m, lo, lo + k, get, out);
        out.push(range(lo + k, hi, get));
    } else {
        path(m - k, lo + k, hi, get, out);
        out.push(range(lo, lo + k, get));
    }
}

/// The consistency proof between the trees of `from` and `to` leaves (RFC 6962 PROOF), for
/// `0 < from <= to`; empty when they are equal. `None` otherwise: a proof from the empty tree
/// proves nothing (every tree extends it) and RFC 9162 defines none.
pub fn consistency_proof(
    from: u64,
    to: u64,
    get: &mut dyn FnMut(Node) -> Hash,
) -> Option<Vec<Hash>> {
    if from == 0 || from > to {
        return None;
    }
    let mut proof = Vec::new();
    if from < to {
        subproof(from, 0, to, true, get, &mut proof);
    }
    Some(proof)
}

fn subproof(
    m: u64,
    lo: u64,
    hi: u64,
    whole: bool,
    get: &mut dyn FnMut(Node) -> Hash,
    out: &mut Vec<Hash>,
) {
    let n = hi - lo;
    if m == n {
        if !whole {
            out.push(range(lo, hi, get));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, lo, lo + k, whole, get, out);
        out.push(range(lo + k, hi, get));
    } else {
        subproof(m - k, lo + k, hi, false, get, out);
        out.push(range(lo, lo + k, get));
    }
}

/// The nodes `compute` reads (run it with a getter that records and answers zeros).
pub fn needed<T>(compute: impl FnOnce(&mut dyn FnMut(Node) -> Hash) -> T) -> BTreeSet<Node> {
    let mut seen = BTreeSet::new();
    let mut record = |n: Node| {
        seen.insert(n);
        [0u8; 32]
    };
    compute(&mut record);
    seen
}

/// The complete subtrees that leaves `size..size + count` complete, in the order they can be
/// computed (each from nodes already stored or computed before it), with the two children each
/// is made of. Appending is: store each new leaf's hash at level 0, then each of these.
pub fn completed_by(size: u64, count: u64) -> Vec<(Node, Node, Node)> {
    let mut out = Vec::new();
    for i in size..size + count {
        // Leaf i completes the subtree of 2^l leaves ending at it for every l where the leaves
        // up to i number a multiple of 2^l.
        let mut level = 1u8;
        while (i + 1).is_multiple_of(1u64 << level) {
            let index = i >> level;
            out.push((
                Node { level, index },
                Node {
                    level: level - 1,
                    index: 2 * index,
                },
                Node {
                    level: level - 1,
                    index: 2 * index + 1,
                },
            ));
            level += 1;
        }
    }
    out
}

/// The nodes a tree of `size` leaves gains when `leaves` (their hashes) are appended: each leaf
/// at level 0 and every complete subtree they finish, in the order they can be computed. `get`
/// answers the older nodes this needs (those below `size`); [`needed`] lists them.
pub fn appended(
    size: u64,
    leaves: &[Hash],
    get: &mut dyn FnMut(Node) -> Hash,
) -> Vec<(Node, Hash)> {
    let mut fresh: std::collections::HashMap<Node, Hash> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(leaves.len() * 2);
    for (i, h) in leaves.iter().enumerate() {
        let node = Node {
            level: 0,
            index: size + i as u64,
        };
        fresh.insert(node, *h);
        out.push((node, *h));
    }
    for (node, left, right) in completed_by(size, leaves.len() as u64) {
        let l = fresh.get(&left).copied().unwrap_or_else(|| get(left));
        let r = fresh.get(&right).copied().unwrap_or_else(|| get(right));
        let h = node_hash(&l, &r);
        fresh.insert(node, h);
        out.push((node, h));
    }
    out
}

/// Why a proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("the leaf index is not below the tree size")]
    IndexBeyondSize,
    #[error("the proof has the wrong number of hashes")]
    WrongLength,
    #[error("the proof does not lead to the root")]
    RootMismatch,
    #[error("the sizes are not ordered 0 < from <= to")]
    BadSizes,
}

/// Checks an inclusion proof (RFC 9162 section 2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexBeyondSize);
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks a consistency proof between two roots (RFC 9162 section 2.1.4.2). A proof from the
/// empty tree is refused: it proves nothing.
pub fn verify_consistency(
    from: u64,
    to: u64,
    from_root: &Hash,
    to_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if from == 0 || from > to {
        return Err(ProofError::BadSizes);
    }
    if from == to {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if from_root == to_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if from.is_power_of_two() {
        path.push(*from_root);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (from - 1, to - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr != *from_root || sr != *to_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The leaf of an audit entry: `<case uuid> <seq> <entry sha256 hex>`, nothing private.
pub fn leaf_text(case_id: uuid::Uuid, seq: i64, entry_hash: &str) -> String {
    format!("{case_id} {seq} {entry_hash}")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use base64::Engine;
    use proptest::prelude::*;

    use super::*;

    /// A whole tree in memory: every complete subtree of `leaves`.
    fn stored(leaves: &[Vec<u8>]) -> HashMap<Node, Hash> {
        let hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l)).collect();
        appended(0, &hashes, &mut |n| {
            panic!("{n:?} is older than an empty tree")
        })
        .into_iter()
        .collect()
    }

    #[test]
    fn appending_in_steps_gives_the_tree_appended_at_once() {
        let leaves: Vec<Hash> = (0..77u8).map(|i| leaf_hash(&[i])).collect();
        let whole: HashMap<Node, Hash> = appended(0, &leaves, &mut |_| unreachable!())
            .into_iter()
            .collect();
        let mut grown: HashMap<Node, Hash> = HashMap::new();
        for (from, to) in [(0, 5), (5, 6), (6, 64), (64, 77)] {
            let older = needed(|g| appended(from, &leaves[from as usize..to], g));
            assert!(older.iter().all(|n| grown.contains_key(n)), "{older:?}");
            let new = appended(from, &leaves[from as usize..to], &mut |n| grown[&n]);
            grown.extend(new);
        }
        assert_eq!(grown, whole);
    }

    fn getter(nodes: &HashMap<Node, Hash>) -> impl FnMut(Node) -> Hash + '_ {
        move |n| {
            *nodes
                .get(&n)
                .unwrap_or_else(|| panic!("{n:?} is not stored"))
        }
    }

    /// A hash from base64; `None` for a value of another length (the vectors' "don't care"),
    /// which this module's types cannot even hold: such a vector must be an error.
    fn b64(s: &str) -> Option<Hash> {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .ok()
            .and_then(|v| v.try_into().ok())
    }

    /// RFC 6962's test tree (transparency-dev/merkle `testonly/constants.go`).
    fn reference_leaves() -> Vec<Vec<u8>> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|h| hex::decode(h).expect("hex"))
        .collect()
    }

    #[test]
    fn roots_of_the_reference_tree() {
        let roots = [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let leaves = reference_leaves();
        for (size, want) in roots.iter().enumerate() {
            let nodes = stored(&leaves[..size]);
            assert_eq!(
                hex::encode(root(size as u64, &mut getter(&nodes))),
                *want,
                "size {size}"
            );
        }
        // A level-1 node of the reference: the hash of leaves 2 and 3.
        let nodes = stored(&leaves);
        assert_eq!(
            hex::encode(nodes[&Node { level: 1, index: 1 }]),
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
        );
    }

    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct InclusionVector {
        leaf_idx: u64,
        tree_size: u64,
        root: String,
        leaf_hash: String,
        proof: Option<Vec<String>>,
        want_err: bool,
        file: String,
    }

    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ConsistencyVector {
        size1: u64,
        size2: u64,
        root1: String,
        root2: String,
        proof: Option<Vec<String>>,
        want_err: bool,
        file: String,
    }

    fn vectors<T: serde::de::DeserializeOwned>(text: &str) -> Vec<T> {
        serde_json::from_str(text).expect("json")
    }

    const INCLUSION: &str = include_str!("../../tests/data/rfc6962/inclusion.json");
    const CONSISTENCY: &str = include_str!("../../tests/data/rfc6962/consistency.json");

    #[test]
    fn inclusion_vectors_of_transparency_dev() {
        let all: Vec<InclusionVector> = vectors(INCLUSION);
        assert_eq!(all.len(), 98);
        for v in &all {
            let proof: Option<Vec<Hash>> = v.proof.iter().flatten().map(|p| b64(p)).collect();
            let got = match (proof, b64(&v.leaf_hash), b64(&v.root)) {
                (Some(proof), Some(leaf), Some(root)) => {
                    verify_inclusion(v.leaf_idx, v.tree_size, &leaf, &proof, &root)
                }
                _ => Err(ProofError::WrongLength),
            };
            assert_eq!(got.is_err(), v.want_err, "{}: {got:?}", v.file);
        }
    }

    #[test]
    fn consistency_vectors_of_transparency_dev() {
        let all: Vec<ConsistencyVector> = vectors(CONSISTENCY);
        assert_eq!(all.len(), 98);
        for v in &all {
            let proof: Option<Vec<Hash>> = v.proof.iter().flatten().map(|p| b64(p)).collect();
            // Roots are compared as given when the sizes are equal, whatever their length.
            let root = |r: &str| {
                b64(r).unwrap_or_else(|| Sha256::digest(format!("not a hash: {r}")).into())
            };
            let got = match proof {
                Some(proof) => {
                    verify_consistency(v.size1, v.size2, &root(&v.root1), &root(&v.root2), &proof)
                }
                None => Err(ProofError::WrongLength),
            };
            assert_eq!(got.is_err(), v.want_err, "{}: {got:?}", v.file);
        }
    }

    #[test]
    fn the_vectors_happy_proofs_are_the_ones_this_tree_makes() {
        let leaves = reference_leaves();
        let nodes = stored(&leaves);
        let inclusion: Vec<InclusionVector> = vectors(INCLUSION);
        let mut compared = 0;
        for v in inclusion.iter().filter(|v| !v.want_err && v.tree_size <= 8) {
            let made =
                inclusion_proof(v.leaf_idx, v.tree_size, &mut getter(&nodes)).expect("in the tree");
            let want: Vec<Hash> = v.proof.iter().flatten().filter_map(|p| b64(p)).collect();
            assert_eq!(made, want, "{}", v.file);
            compared += 1;
        }
        let consistency: Vec<ConsistencyVector> = vectors(CONSISTENCY);
        for v in consistency
            .iter()
            .filter(|v| !v.want_err && v.size2 <= 8 && v.size1 > 0)
        {
            let made =
                consistency_proof(v.size1, v.size2, &mut getter(&nodes)).expect("ordered sizes");
            let want: Vec<Hash> = v.proof.iter().flatten().filter_map(|p| b64(p)).collect();
            assert_eq!(made, want, "{}", v.file);
            compared += 1;
        }
        assert!(compared >= 8, "compared {compared} proofs");
    }

    #[test]
    fn a_proof_from_the_empty_tree_is_none() {
        let nodes = stored(&reference_leaves());
        assert!(consistency_proof(0, 5, &mut getter(&nodes)).is_none());
        assert!(consistency_proof(6, 5, &mut getter(&nodes)).is_none());
        assert_eq!(
            consistency_proof(5, 5, &mut getter(&nodes)),
            Some(Vec::new())
        );
        assert!(inclusion_proof(5, 5, &mut getter(&nodes)).is_none());
    }

    #[test]
    fn what_is_needed_is_what_is_read() {
        let leaves: Vec<Vec<u8>> = (0..37u8).map(|i| vec![i]).collect();
        let nodes = stored(&leaves);
        let want = needed(|g| inclusion_proof(11, 37, g));
        let mut read = BTreeSet::new();
        let mut get = |n: Node| {
            read.insert(n);
            nodes[&n]
        };
        inclusion_proof(11, 37, &mut get);
        assert_eq!(read, want);
        assert!(want.len() <= 7, "{want:?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn every_proof_of_a_random_tree_verifies_and_a_changed_byte_fails(
            size in 1u64..300,
            picks in (any::<u64>(), any::<u64>(), any::<u64>(), any::<usize>(), any::<u8>()),
        ) {
            let (a, b, c, which, bit) = picks;
            let leaves: Vec<Vec<u8>> = (0..size).map(|i| format!("leaf {i}").into_bytes()).collect();
            let nodes = stored(&leaves);
            let root_n = root(size, &mut getter(&nodes));
            let index = a % size;
            let proof = inclusion_proof(index, size, &mut getter(&nodes)).expect("proof");
            let leaf = leaf_hash(&leaves[index as usize]);
            prop_assert!(verify_inclusion(index, size, &leaf, &proof, &root_n).is_ok());
            let mut bad_leaf = leaf;
            bad_leaf[(bit % 32) as usize] ^= 1;
            prop_assert!(verify_inclusion(index, size, &bad_leaf, &proof, &root_n).is_err());
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let i = which % bad.len();
                bad[i][(bit % 32) as usize] ^= 0x80;
                prop_assert!(verify_inclusion(index, size, &leaf, &bad, &root_n).is_err());
            }

            let from = 1 + b % size;
            let to = from + c % (size - from + 1);
            let from_root = root(from, &mut getter(&nodes));
            let to_root = root(to, &mut getter(&nodes));
            let proof = consistency_proof(from, to, &mut getter(&nodes)).expect("proof");
            prop_assert!(verify_consistency(from, to, &from_root, &to_root, &proof).is_ok());
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let i = which % bad.len();
                bad[i][(bit % 32) as usize] ^= 0x01;
                prop_assert!(verify_consistency(from, to, &from_root, &to_root, &bad).is_err());
            }
            let mut forked = to_root;
            forked[0] ^= 1;
            prop_assert!(verify_consistency(from, to, &from_root, &forked, &proof).is_err());
        }
    }
}
