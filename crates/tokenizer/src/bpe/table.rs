//! The lookup tables behind the encoder.
//!
//! Encoding spends its time asking two questions: "is this piece one token,
//! and which?" (bytes -> rank) and "do these two adjacent tokens merge, and
//! into what?" (rank pair -> rank). Both are open-addressing hash tables:
//! one multiply to hash, linear probing, key and value side by side so a hit
//! costs one cache line.
//!
//! - [`RankTable`]: byte strings of up to 7 bytes are packed into a `u64`
//!   (bytes + length), 8 to 15 bytes into two (see [`Packed`]), so the
//!   common lookups hash no variable-length data and chase no pointer;
//!   longer ones go to an `FxHashMap`.
//! - [`PairTable`]: every pair of tokens whose concatenation is a token, with
//!   `left | right | merged` packed into one `u64` a slot. Merging two
//!   adjacent parts is one lookup on their ranks; this is exactly tiktoken's
//!   "look the concatenated bytes up", because every part is always a token.
//!
//! Both keep their slots in [`Pages`], 2 MiB pages on Linux: hashing spreads
//! the lookups over the whole table (18 MB for o200k_base), which in 4 KiB
//! pages misses the TLB on a large share of them. Measured under load (load
//! average 7-8, 50 alternating processes of each build, tiny shakespeare):
//! the median encode got 15% faster on o200k_base and 6% on cl100k_base,
//! with the same instruction count.
//!
//! # What a miss costs here, and what keeps the pair lookups in cache
//!
//! On the benchmark VM (AMD EPYC, 1 MiB of L2 per core, an L3 shared with
//! other tenants), a chain of dependent random reads costs about 14 ns a
//! read over 1 to 4 MiB but 150 ns from 8 MiB on (huge pages either way):
//! what this process gets of the L3 is a few megabytes, so a lookup that
//! misses the L2 in an 8 MB table is a trip to memory. Counting L2 misses
//! (callgrind with a 1 MiB last level, `bench/profile_encode.sh`) is
//! therefore the load-independent measure that ranks changes here.
//!
//! - **Pairs of small ranks** ([`PairTable::get`]): merging starts from
//!   single bytes, so about half of all pair lookups (63% on base64, 46% on
//!   tiny shakespeare) are pairs of two bytes, which OpenAI's vocabularies
//!   rank 0..255. Those come from a dense 256 x 256 array (256 KB, of which
//!   a text uses a few rows) instead of one hashed cache line each.
//! - **A Bloom filter** ([`Bloom`], 8 bits per pair: 512 KB for o200k_base)
//!   in front of the packed pairs: on random strings such as base64 most
//!   pair lookups find no token, and the filter says so from the L2.
//!
//! Together, on 1 MB of base64 (a 1 MiB last level): L2 misses 651,000 ->
//! 277,000 (cl100k_base) and 593,000 -> 389,000 (o200k_base), L1 misses
//! 1.44M -> 1.05M and 1.20M -> 0.94M, 1-2% more instructions. Measured
//! by alternating runs of the two builds (`bench/ab_encode.py`, median of
//! the per-pair ratios of on-CPU time, load average 1): base64 1.75x
//! faster (cl100k_base) and 1.50x (o200k_base), 12 pairs each; tiny
//! shakespeare 1.11x (o200k_base, 30 pairs), SciFact 1.15x (o200k_base,
//! 16 pairs).
//!
//! **Prefetching each piece's slot** ([`RankTable::locate`], called
//! by `CoreBpe::encode_segment`): the scanner finds pieces well before
//! their lookup has to answer, so each piece's key is computed when the
//! scanner finds it, its first slot prefetched, and the piece looked up
//! 8 pieces later from a ring. A first version (ring of positions, key
//! and hash computed twice, the scanner's callback no longer inlined:
//! 76M instructions instead of 57M on tiny shakespeare, o200k_base)
//! measured 1.12x faster on real text at load average 7-8 and 1.4x on
//! base64 at load 1, but 0.94x to 1.02x on real text at load 1-2 (three
//! runs of 16-30 pairs), and was taken out. The kept version keeps the
//! callback inlined into the scanner (`#[inline(always)]` on the
//! closure), carries the key in the ring so it is computed once, and
//! starts the ring with empty pieces (no "is it full yet" test). It still
//! costs 16-24% more instructions (o200k_base: tiny shakespeare 59.1M ->
//! 71.6M, SciFact 335.5M -> 404.9M, base64 134.3M -> 156.0M; cl100k_base
//! 53.2M -> 65.0M, 321.1M -> 386.3M, 137.2M -> 150.2M), which callgrind
//! counts, while the misses it hides it does not model (L2 misses
//! unchanged). (Since then the ring carries each piece's slot as well as
//! its key, and only the one-lookup case is inlined into the scanner's
//! loop, see `CoreBpe::encode_piece_keyed`: o200k_base now takes about
//! 58M instructions on tiny shakespeare, 342M on SciFact and 148M on 1 MB
//! of base64, fewer than before the ring.) Batching 64 pieces from the
//! scanner and prefetching within the batch, out of the scanner's loop,
//! cost more (76-77M on tiny shakespeare) and was dropped. Measured by alternating the two builds
//! (`bench/ab_encode.py`, median of the per-pair ratios of on-CPU time,
//! 12-20 pairs a run, load average 1.2-3.4): base64 1.39x (o200k_base,
//! quartiles 1.34-1.49; 1.48x for the same ring with the key computed
//! twice) and 1.44x (cl100k_base, 1.32-1.66); real text unchanged within
//! the noise: SciFact 1.01x, 1.00x, 0.96x (o200k_base) and 1.24x, 0.97x
//! (cl100k_base), tiny shakespeare 1.00x, 1.11x, 1.10x and 1.00x, 1.00x,
//! with quartiles 5-25% either side in every run; 1 MB of spaces 1.00x. On
//! real text most lookups hit lines the L3 still holds, and the misses it
//! hides pay for its instructions and little more; on base64, whose pieces
//! are mostly not tokens, it hides a miss a piece.
//!
//! Also tried and not kept: a Bloom filter in front of the short-piece map
//! as well. Base64 o200k_base got 1.61x faster (L2 misses 389,000 ->
//! 272,000: most of its pieces are not tokens), but real text 0.92x (tiny
//! shakespeare, 24 pairs; SciFact, 10 pairs; load average 3.3): there most
//! pieces are tokens, and the filter adds 8% instructions and 30% L1 misses
//! to every lookup.
//!
//! Nor merging without the pair table, by looking each candidate pair up
//! by its bytes in the short- and mid-piece maps (as tiktoken does), so
//! that merging and piece lookups share one table's lines. Most of
//! o200k_base's extra misses against cl100k_base are the pair lookups of
//! merging (tiny shakespeare, 1 MiB last level: 39,800 against 24,400 of
//! 96,000 and 75,000 read misses). Ids were equal, and on tiny shakespeare
//! L2 misses went 118,000 -> 103,000 (o200k_base) and 97,000 -> 93,000
//! (cl100k_base), L1 misses 20% down, but instructions 12-13% up (69.3M ->
//! 77.8M; 65.5M -> 73.0M: the key, the probe of a map of 16-byte slots, the
//! parts' byte offsets) and mispredictions 25% up. Alternating runs
//! (`bench/ab_encode.py`, 30 pairs, on-CPU time, load average 0.4-0.6):
//! o200k_base 0.999x, cl100k_base 0.904x.
//!
//! # Smaller tables: measured, and not kept
//!
//! The tables of o200k_base are twice cl100k_base's (short-piece map 8 MB:
//! 132,360 keys in 512K 16-byte slots, load 0.25; packed pairs 8 MB:
//! 446,189 in 1M slots, load 0.43; mid map 3 MB), and on this VM o200k_base
//! encodes SciFact about 20% slower than cl100k_base (on-CPU 76-89 against
//! 97-108 MB/s, same binary, alternating, load average 3.8), where the
//! instruction counts differ by 4% (335.5M against 321.1M). So the tables
//! were shrunk toward the 4 MiB that stay in this VM's share of the L3, and
//! measured on o200k_base and cl100k_base, tiny shakespeare, SciFact and
//! 1 MB of base64 (`bench/profile_encode.sh` at its 1 MiB last level and
//! with `TOWEL_PROF_LL=4194304`). Before (o200k_base, 1 MiB / 4 MiB last
//! level): tiny shakespeare 59.1M instructions, 125,000 / 64,000 L2
//! misses; SciFact 335.5M, 816,000 / 430,000; base64 134.3M, 454,000 /
//! 232,000 (cl100k_base: 53.2M, 104,000 / 42,000; 321.1M, 723,000 /
//! 390,000; 137.2M, 365,000 / 257,000).
//!
//! - **Maps at load 3/4** (short map 256K slots = 4 MB for o200k_base, 2 MB
//!   for cl100k_base): no fewer misses (SciFact 824,000 / 434,000) and more
//!   on base64 (577,000 / 326,000: its pieces are mostly not tokens, and an
//!   unsuccessful probe at load 0.5 crosses into the next cache line more
//!   often). Wall clock: SciFact 1.007x (12 pairs, quartiles 0.90-1.04),
//!   base64 1.09x (12 pairs, quartiles 0.98-1.21), load average 3.7-4.2:
//!   within the noise.
//! - **The pair table at 512K slots** (load 0.85, 4 MB), on top of the
//!   above: more misses again (SciFact 855,000 / 449,000, base64 622,000
//!   / 350,000) and 1.5% more instructions; wall clock 1.05x SciFact and
//!   1.00x tiny shakespeare (12 and 16 pairs, quartiles 0.87-1.20, load
//!   average 3.1-3.3), 1.07x base64 (quartiles 0.98-1.39): noise.
//! - **A quotient-packed short map**: 8 `u64` slots per 64-byte bucket
//!   (one cache line a lookup), each slot `displaced | quotient | rank`,
//!   where the key is mixed by a bijection of its 59 bits, the top bits
//!   pick the bucket and only the rest (the quotient) is stored, so a key
//!   is 8 bytes and the map 2 MB for o200k_base (1 MB for cl100k_base);
//!   a full bucket spills into the next, then into a small overflow map.
//!   Ids equal on all six inputs, but the misses did not move (SciFact
//!   810,000 / 426,000, tiny shakespeare 123,000 / 63,000) while
//!   instructions rose 8% (362.6M on SciFact: scanning a bucket, and the
//!   mixing) and mispredictions 25%; base64 had more misses (518,000 /
//!   309,000). Cost estimate 7-10% worse on every input; wall clock
//!   0.90x on SciFact and 0.72x on tiny shakespeare (10 pairs each,
//!   quartiles 0.76-0.97 and 0.66-0.81, load average 2.0-2.1).
//!
//! Why the size does not matter here: per line of source, callgrind puts
//! the 4 MiB-last-level read misses of o200k_base on SciFact at 109,000 in
//! the piece lookups (cl100k_base 90,000), 52,000 in the pair lookups of
//! merging (31,000), 35,000 in the piece cache (34,000) and 101,000 in
//! reading the text, plus 130,000 write misses of the ids. A table line
//! is missed when it is reused after the 7.8 MB of text and 6.5 MB of ids
//! that stream through the cache in between have evicted it; the touched
//! lines (about one per distinct piece: 52,000 on SciFact) are a small part
//! of that reuse distance, so packing the same keys into fewer lines saves
//! next to nothing. What o200k_base loses against cl100k_base is spread
//! over the piece lookups (+19,000 misses), the pair lookups (+21,000)
//! and the scanner of its pattern: 90.2M instructions on SciFact against
//! 65.1M (the whole encode 335.5M against 321.1M: merging costs o200k_base
//! less). The scanner has since come down to 94.8M on SciFact (see
//! `pretok/scan.rs`); still open: the misses, which prefetching (above)
//! hides only at the price of its instructions.
//!
//! Nor a whole-program build (`lto = "fat"`, `codegen-units = 1` in the
//! release profile): 57.8M -> 57.2M instructions and L2 misses unchanged
//! (118,000) on tiny shakespeare, o200k_base (`bench/profile_encode.sh`),
//! for a release build of the encoder that took 2 min 50 s instead of
//! about 1 min. Everything hot is in this crate, inlined already.
//!
//! The ids' write misses do not cost time either: an encode that wrote its
//! ids into a 16 KB buffer reused in place (no output traffic at all, the
//! upper bound of writing them with non-temporal stores) measured 0.983x
//! the normal one (`bench/ab_encode.py --wall`, tiny shakespeare,
//! o200k_base, 60 pairs, quartiles 0.86-1.09, load average 1.1).

use rustc_hash::FxHashMap;

use crate::vocab::Rank;
use towel_data::pages::Pages;

/// A key of an [`OpenMap`]: fixed size, with one value reserved for "empty".
pub(crate) trait Key: Copy + Eq {
    const EMPTY: Self;
    fn hash(self) -> u64;
}

impl Key for u64 {
    const EMPTY: u64 = u64::MAX;
    #[inline(always)]
    fn hash(self) -> u64 {
        (self ^ (self >> 31)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

/// 8 to 15 bytes and their length (see [`mid_key`]).
impl Key for [u64; 2] {
    const EMPTY: [u64; 2] = [u64::MAX; 2];
    #[inline(always)]
    fn hash(self) -> u64 {
        (self[0] ^ self[1].rotate_left(23)).hash()
    }
}

#[derive(Clone, Copy)]
struct Slot<K> {
    key: K,
    val: Rank,
}

/// Open-addressing hash map `K -> Rank`: one multiply to hash, linear
/// probing, key and value side by side so a hit costs one cache line.
#[derive(Clone)]
pub(crate) struct OpenMap<K: Key> {
    slots: Pages<Slot<K>>,
    shift: u32,
    mask: usize,
    len: usize,
}

impl<K: Key> OpenMap<K> {
    /// A map sized for `n` keys (load factor at most 1/2).
    pub(crate) fn with_capacity(n: usize) -> OpenMap<K> {
        let cap = (n.max(4) * 2).next_power_of_two();
        OpenMap {
            slots: Pages::filled(
                cap,
                Slot {
                    key: K::EMPTY,
                    val: 0,
                },
            ),
            shift: 64 - cap.trailing_zeros(),
            mask: cap - 1,
            len: 0,
        }
    }

    #[inline(always)]
    fn home(&self, key: K) -> usize {
        (key.hash() >> self.shift) as usize
    }

    /// Insert or overwrite. Grows when over half full.
    pub(crate) fn insert(&mut self, key: K, val: Rank) {
        debug_assert!(key != K::EMPTY);
        if (self.len + 1) * 2 > self.slots.len() {
            let mut bigger = OpenMap::with_capacity(self.slots.len());
            for s in self.slots.iter().filter(|s| s.key != K::EMPTY) {
                bigger.insert(s.key, s.val);
            }
            *self = bigger;
        }
        let mut i = self.home(key);
        loop {
            let slot = &mut self.slots[i];
            if slot.key == K::EMPTY {
                *slot = Slot { key, val };
                self.len += 1;
                return;
            }
            if slot.key == key {
                slot.val = val;
                return;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The first slot that [`OpenMap::get`] reads for `key`, which starts
    /// loading now.
    #[inline(always)]
    pub(crate) fn locate(&self, key: K) -> usize {
        let i = self.home(key);
        towel_data::pages::prefetch(&self.slots[i]);
        i
    }

    /// The value for `key`.
    #[inline(always)]
    pub(crate) fn get(&self, key: K) -> Option<Rank> {
        self.get_at(self.home(key), key)
    }

    /// The value for `key`, whose first slot is `i` ([`OpenMap::locate`]).
    #[inline(always)]
    pub(crate) fn get_at(&self, mut i: usize, key: K) -> Option<Rank> {
        loop {
            // `i` is always masked into range.
            let slot = self.slots[i];
            if slot.key == key {
                return Some(slot.val);
            }
            if slot.key == K::EMPTY {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }
}

/// A Bloom filter of about 8 bits per key, with both of a key's bits in
/// one 64-bit word (so a lookup is one memory access), about 5% false
/// positives. It answers "certainly not a key" from a table a sixteenth
/// the size of the map it guards (8 bits per key instead of 64 bits at a
/// load of one half), which stays in the CPU's L2 cache when the map does
/// not.
#[derive(Clone)]
pub(crate) struct Bloom {
    words: Pages<u64>,
    shift: u32,
}

impl Bloom {
    /// A filter for about `n` keys.
    pub(crate) fn with_capacity(n: usize) -> Bloom {
        let words = (n.max(64) / 8).next_power_of_two();
        Bloom {
            words: Pages::filled(words, 0),
            shift: 64 - words.trailing_zeros(),
        }
    }

    /// The word of `key` and its two bits, from a hash of the key that is
    /// independent of a map's slot position (which uses the high bits of
    /// [`Key::hash`] of the key itself).
    #[inline(always)]
    fn bits(&self, key: u64) -> (usize, u64) {
        let h = (key ^ 0x5555_5555).hash();
        let bits = (1u64 << (h & 63)) | (1u64 << ((h >> 6) & 63));
        ((h >> self.shift) as usize, bits)
    }

    pub(crate) fn insert(&mut self, key: u64) {
        let (w, bits) = self.bits(key);
        self.words[w] |= bits;
    }

    /// False only if `key` was not inserted.
    #[inline(always)]
    pub(crate) fn may_contain(&self, key: u64) -> bool {
        let (w, bits) = self.bits(key);
        self.words[w] & bits == bits
    }
}

/// Little-endian `u32` / `u16` of the bytes at `i`.
#[inline(always)]
fn le32(b: &[u8], i: usize) -> u64 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as u64
}
#[inline(always)]
fn le16(b: &[u8], i: usize) -> u64 {
    u16::from_le_bytes([b[i], b[i + 1]]) as u64
}
#[inline(always)]
fn le64(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().unwrap())
}

/// Up to 8 bytes as a little-endian integer (zero above them). Two loads
/// that overlap in the middle instead of a byte loop or a `memcpy` call:
/// the bytes they both cover are the same, so or-ing them is exact.
#[inline(always)]
fn pack_le(b: &[u8]) -> u64 {
    let n = b.len();
    match n {
        0 => 0,
        1 => b[0] as u64,
        2..=3 => le16(b, 0) | le16(b, n - 2) << (8 * (n - 2)),
        4..=7 => le32(b, 0) | le32(b, n - 4) << (8 * (n - 4)),
        _ => le64(b, 0),
    }
}

/// Pack up to 7 bytes and their length into a `u64`: the bytes in the low
/// 7 bytes (little-endian), the length in the top byte.
#[inline(always)]
pub(crate) fn short_key(bytes: &[u8]) -> u64 {
    debug_assert!(bytes.len() <= 7);
    pack_le(bytes) | (bytes.len() as u64) << 56
}

/// Pack 8 to 15 bytes and their length into two `u64`s: the first 8 bytes,
/// then the rest with the length in the top byte.
#[inline(always)]
pub(crate) fn mid_key(bytes: &[u8]) -> [u64; 2] {
    let n = bytes.len();
    debug_assert!((8..=15).contains(&n));
    // Bytes 8.. are the top `n - 8` bytes of the last 8.
    let rest = (le64(bytes, n - 8) >> 8 >> (8 * (15 - n))) & !(0xFF << 56);
    [le64(bytes, 0), rest | (n as u64) << 56]
}

/// A piece as the tables see it: packed into one or two `u64`s (see
/// [`short_key`] and [`mid_key`]), or too long for that.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Packed {
    Short(u64),
    Mid([u64; 2]),
    Long,
}

impl Packed {
    /// The key of `text[s..e]`. Where `text` has 8 (or 16) bytes from `s`,
    /// this is one (or two) whole-word loads and a mask, with no branch on
    /// the exact length: the same key as [`short_key`] / [`mid_key`].
    #[inline(always)]
    pub(crate) fn of(text: &[u8], s: usize, e: usize) -> Packed {
        let n = e - s;
        if n <= 7 {
            if s + 8 <= text.len() {
                let mask = (1u64 << (8 * n)) - 1;
                Packed::Short((le64(text, s) & mask) | (n as u64) << 56)
            } else {
                Packed::Short(short_key(&text[s..e]))
            }
        } else if n <= 15 {
            if s + 16 <= text.len() {
                let mask = (1u64 << (8 * (n - 8))) - 1;
                Packed::Mid([le64(text, s), (le64(text, s + 8) & mask) | (n as u64) << 56])
            } else {
                Packed::Mid(mid_key(&text[s..e]))
            }
        } else {
            Packed::Long
        }
    }

    /// The key of a piece of up to 15 bytes as two words (`[short, 0]` for
    /// short ones: never equal to a mid key, whose top byte is 8 to 15, nor
    /// to [`Key::EMPTY`]).
    #[inline(always)]
    pub(crate) fn words(self) -> Option<[u64; 2]> {
        match self {
            Packed::Short(k) => Some([k, 0]),
            Packed::Mid(k) => Some(k),
            Packed::Long => None,
        }
    }
}

/// Bytes -> rank for whole pieces.
///
/// Three maps by length, so that the lookups real text makes never chase a
/// pointer: up to 7 bytes are one `u64` key, 8 to 15 bytes two `u64`s (about
/// 97% of the tokens of cl100k_base and o200k_base are one or the other);
/// only longer byte strings go to an `FxHashMap`.
#[derive(Clone)]
pub(crate) struct RankTable {
    short: OpenMap<u64>,
    mid: OpenMap<[u64; 2]>,
    long: FxHashMap<Box<[u8]>, Rank>,
    /// Rank of each single byte (`Rank::MAX` when the byte is not a token).
    pub(crate) byte_rank: [Rank; 256],
}

impl RankTable {
    pub(crate) fn new<'a>(tokens: impl Iterator<Item = (&'a [u8], Rank)> + Clone) -> RankTable {
        let count = |r: std::ops::RangeInclusive<usize>| {
            tokens.clone().filter(|(b, _)| r.contains(&b.len())).count()
        };
        let mut short = OpenMap::with_capacity(count(0..=7));
        let mut mid = OpenMap::with_capacity(count(8..=15));
        let mut long = FxHashMap::default();
        let mut byte_rank = [Rank::MAX; 256];
        for (bytes, rank) in tokens {
            if bytes.len() == 1 {
                byte_rank[bytes[0] as usize] = rank;
            }
            match bytes.len() {
                0..=7 => short.insert(short_key(bytes), rank),
                8..=15 => mid.insert(mid_key(bytes), rank),
                _ => {
                    long.insert(bytes.into(), rank);
                }
            }
        }
        RankTable {
            short,
            mid,
            long,
            byte_rank,
        }
    }

    /// The rank of this byte string, if it is a token.
    #[inline(always)]
    pub(crate) fn get(&self, bytes: &[u8]) -> Option<Rank> {
        self.get_packed(Packed::of(bytes, 0, bytes.len()), bytes)
    }

    /// The slot that looking `key` up reads first, which starts loading
    /// now (see [`RankTable::get_short_at`]; 0 for a long piece).
    #[inline(always)]
    pub(crate) fn locate(&self, key: Packed) -> usize {
        match key {
            Packed::Short(k) => self.short.locate(k),
            Packed::Mid(k) => self.mid.locate(k),
            Packed::Long => 0,
        }
    }

    /// The rank of a piece of up to 15 bytes whose key is `key`; `None`
    /// for a longer one.
    #[inline(always)]
    pub(crate) fn get_short(&self, key: Packed) -> Option<Rank> {
        match key {
            Packed::Short(k) => self.short.get(k),
            Packed::Mid(k) => self.mid.get(k),
            Packed::Long => None,
        }
    }

    /// [`RankTable::get_short`] from the slot that [`RankTable::locate`]
    /// gave for `key`.
    #[inline(always)]
    pub(crate) fn get_short_at(&self, key: Packed, slot: usize) -> Option<Rank> {
        match key {
            Packed::Short(k) => self.short.get_at(slot, k),
            Packed::Mid(k) => self.mid.get_at(slot, k),
            Packed::Long => None,
        }
    }

    /// The rank of `bytes`, whose key is `key` (`Packed::of` them).
    #[inline(always)]
    pub(crate) fn get_packed(&self, key: Packed, bytes: &[u8]) -> Option<Rank> {
        match key {
            Packed::Short(k) => self.short.get(k),
            Packed::Mid(k) => self.mid.get(k),
            Packed::Long => self.long.get(bytes).copied(),
        }
    }
}

/// Ranks below this are packed three to a `u64` in [`PairTable`].
const PACK_BITS: u32 = 21;
const PACK_LIMIT: Rank = 1 << PACK_BITS;
const PACK_MASK: u64 = (1 << PACK_BITS) - 1;

/// (left rank, right rank) -> merged rank, for every pair of tokens whose
/// concatenation is a token.
///
/// This is the table the merge loop hits hardest, and for o200k_base it has
/// 446,189 pairs: with `(u64 key, u32 rank)` slots it would be 16 MB, which
/// does not stay in cache. When every rank is below 2^21 (any real
/// vocabulary), each slot is instead one `u64`, `left | right | merged` in 21
/// bits each, and the table is half the size. Larger ranks use the wide map.
#[derive(Clone)]
pub(crate) struct PairTable {
    /// `small[left << 8 | right]` for both ranks below [`SMALL`]: the pairs
    /// of single bytes in OpenAI's vocabularies (see [`PairTable::get`]).
    small: Box<[Rank]>,
    map: PairMap,
}

/// Ranks below this have their pairs in the dense [`PairTable`] `small`.
const SMALL: Rank = 256;

/// The hashed part of a [`PairTable`].
#[derive(Clone)]
pub(crate) enum PairMap {
    Packed(PackedPairs),
    Wide(OpenMap<u64>),
}

/// Open addressing over packed `left << 42 | right << 21 | merged` slots
/// (`u64::MAX` is empty: a packed slot never sets the top bit).
#[derive(Clone)]
pub(crate) struct PackedPairs {
    slots: Pages<u64>,
    shift: u32,
    mask: usize,
    /// The keys, checked before the slots (see [`PackedPairs::get`]).
    filter: Bloom,
}

impl PackedPairs {
    fn new(found: &[(u64, Rank)]) -> PackedPairs {
        let cap = (found.len().max(4) * 2).next_power_of_two();
        let mut t = PackedPairs {
            slots: Pages::filled(cap, u64::MAX),
            shift: 64 - cap.trailing_zeros(),
            mask: cap - 1,
            filter: Bloom::with_capacity(found.len()),
        };
        for &(key, rank) in found {
            t.filter.insert(key);
            let mut i = t.home(key);
            loop {
                let slot = &mut t.slots[i];
                if *slot == u64::MAX || *slot >> PACK_BITS == key {
                    *slot = key << PACK_BITS | rank as u64;
                    break;
                }
                i = (i + 1) & t.mask;
            }
        }
        t
    }

    #[inline(always)]
    fn home(&self, key: u64) -> usize {
        (key.hash() >> self.shift) as usize
    }

    #[inline(always)]
    fn get(&self, left: Rank, right: Rank) -> Rank {
        if left >= PACK_LIMIT || right >= PACK_LIMIT {
            return Rank::MAX;
        }
        let key = (left as u64) << PACK_BITS | right as u64;
        if !self.filter.may_contain(key) {
            return Rank::MAX;
        }
        let mut i = self.home(key);
        loop {
            let slot = self.slots[i];
            if slot >> PACK_BITS == key {
                return (slot & PACK_MASK) as Rank;
            }
            if slot == u64::MAX {
                return Rank::MAX;
            }
            i = (i + 1) & self.mask;
        }
    }
}

impl PairTable {
    /// Every split of every token into two tokens (found in parallel:
    /// this is most of the time it takes to load a vocabulary).
    pub(crate) fn new<'a>(
        tokens: impl Iterator<Item = (&'a [u8], Rank)>,
        table: &RankTable,
    ) -> PairTable {
        use rayon::prelude::*;
        let tokens: Vec<(&[u8], Rank)> = tokens.filter(|t| t.0.len() > 1).collect();
        let found: Vec<(Rank, Rank, Rank)> = tokens
            .par_chunks(4096)
            .flat_map_iter(|chunk| {
                let mut found = Vec::with_capacity(chunk.len() * 2);
                for &(bytes, rank) in chunk {
                    for k in 1..bytes.len() {
                        if let Some(l) = table.get(&bytes[..k]) {
                            if let Some(r) = table.get(&bytes[k..]) {
                                found.push((l, r, rank));
                            }
                        }
                    }
                }
                found
            })
            .collect();
        let packable = found
            .iter()
            .all(|&(l, r, m)| l < PACK_LIMIT && r < PACK_LIMIT && m < PACK_LIMIT);
        let mut small = vec![Rank::MAX; (SMALL * SMALL) as usize].into_boxed_slice();
        for &(l, r, m) in &found {
            if l < SMALL && r < SMALL {
                small[(l * SMALL + r) as usize] = m;
            }
        }
        let map = if packable {
            let keyed: Vec<(u64, Rank)> = found
                .iter()
                .map(|&(l, r, m)| ((l as u64) << PACK_BITS | r as u64, m))
                .collect();
            PairMap::Packed(PackedPairs::new(&keyed))
        } else {
            let mut map = OpenMap::with_capacity(found.len());
            for (l, r, m) in found {
                map.insert(wide_key(l, r), m);
            }
            PairMap::Wide(map)
        };
        PairTable { small, map }
    }

    /// The rank of `left ++ right`, or `Rank::MAX` when it is not a token.
    ///
    /// Pairs of two ranks below 256 (single bytes, in OpenAI's
    /// vocabularies) are read from a dense 256 x 256 array instead of the
    /// hash table: merging starts from single bytes, so about half of the
    /// pair lookups are these, and the ones a text makes sit in a few rows
    /// of the array (a few kilobytes, in the L1 cache) instead of one cache
    /// line each all over the hashed table.
    #[inline(always)]
    pub(crate) fn get(&self, left: Rank, right: Rank) -> Rank {
        if left < SMALL && right < SMALL {
            return self.small[(left * SMALL + right) as usize];
        }
        match &self.map {
            PairMap::Packed(p) => p.get(left, right),
            PairMap::Wide(m) => m.get(wide_key(left, right)).unwrap_or(Rank::MAX),
        }
    }
}

#[inline(always)]
fn wide_key(l: Rank, r: Rank) -> u64 {
    ((l as u64) << 32) | r as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u64map_grows_and_finds() {
        let mut m = OpenMap::<u64>::with_capacity(2);
        for k in 0..10_000u64 {
            m.insert(k * 7919, k as Rank);
        }
        for k in 0..10_000u64 {
            assert_eq!(m.get(k * 7919), Some(k as Rank));
        }
        assert_eq!(m.get(3), None);
    }

    /// Keys read in whole words from a longer text equal the keys of the
    /// piece alone, at every offset and length.
    #[test]
    fn packed_keys_do_not_depend_on_surroundings() {
        let text: Vec<u8> = (0..40u8)
            .map(|i| i.wrapping_mul(71).wrapping_add(3))
            .collect();
        for s in 0..text.len() {
            for e in s..text.len().min(s + 20) {
                let alone = &text[s..e];
                assert!(
                    Packed::of(&text, s, e) == Packed::of(alone, 0, alone.len()),
                    "{s}..{e}"
                );
            }
        }
    }

    /// The packing equals the obvious byte-by-byte one.
    #[test]
    fn keys_pack_bytes_and_length() {
        let text: Vec<u8> = (1..=15u8).map(|i| i.wrapping_mul(37)).collect();
        for n in 0..=15 {
            let b = &text[..n];
            let mut buf = [0u8; 16];
            buf[..n].copy_from_slice(b);
            if n <= 7 {
                buf[7] = n as u8;
                assert_eq!(
                    short_key(b),
                    u64::from_le_bytes(buf[..8].try_into().unwrap()),
                    "{n}"
                );
            } else {
                buf[15] = n as u8;
                let want = [
                    u64::from_le_bytes(buf[..8].try_into().unwrap()),
                    u64::from_le_bytes(buf[8..].try_into().unwrap()),
                ];
                assert_eq!(mid_key(b), want, "{n}");
            }
        }
    }

    #[test]
    fn mid_keys_distinguish_length() {
        assert_ne!(mid_key(b"abcdefgh"), mid_key(b"abcdefgh\0"));
        assert_ne!(mid_key(b"abcdefghijklmno"), [u64::MAX; 2]);
    }

    #[test]
    fn packed_and_wide_pair_tables_agree() {
        let mut tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
        tokens.extend([b"ab".to_vec(), b"abc".to_vec(), b"bc".to_vec()]);
        let small: Vec<(&[u8], Rank)> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (&t[..], i as Rank))
            .collect();
        // The same tokens with ranks past 2^21 for the multi-byte ones.
        let big: Vec<(&[u8], Rank)> = small
            .iter()
            .map(|&(t, r)| (t, if t.len() > 1 { r + 3_000_000 } else { r }))
            .collect();
        let (ts, tb) = (
            RankTable::new(small.iter().copied()),
            RankTable::new(big.iter().copied()),
        );
        let (ps, pb) = (
            PairTable::new(small.iter().copied(), &ts),
            PairTable::new(big.iter().copied(), &tb),
        );
        assert!(matches!(ps.map, PairMap::Packed(_)));
        assert!(matches!(pb.map, PairMap::Wide(_)));
        let (a, b, c, ab, bc) = (97, 98, 99, 256, 258);
        assert_eq!(ps.get(a, b), ab);
        assert_eq!(ps.get(ab, c), 257);
        assert_eq!(ps.get(a, bc), 257);
        assert_eq!(ps.get(b, a), Rank::MAX);
        assert_eq!(ps.get(Rank::MAX, a), Rank::MAX);
        assert_eq!(pb.get(a, b), ab + 3_000_000);
        assert_eq!(pb.get(ab + 3_000_000, c), 257 + 3_000_000);
        assert_eq!(pb.get(b, a), Rank::MAX);
    }

    #[test]
    fn short_keys_distinguish_length() {
        assert_ne!(short_key(b"a"), short_key(b"a\0"));
        assert_ne!(short_key(b""), short_key(b"\0"));
    }
}
