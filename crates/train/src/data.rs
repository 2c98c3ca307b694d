//! Data: a loader that cuts a data set into batches with seeded shuffling
//! and `drop_last` (PyTorch's `DataLoader(shuffle=True, drop_last=...)`
//! with a seeded generator), and a seeded stratified split.
//!
//! ```
//! use towel_train::data::Loader;
//! let mut a = Loader::new(10, 4, true, false, 7).unwrap();
//! let mut b = Loader::new(10, 4, true, false, 7).unwrap();
//! let e1 = a.epoch();
//! assert_eq!(e1.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2]);
//! assert_eq!(e1, b.epoch());                 // same seed, same batches
//! assert_ne!(a.epoch(), e1);                 // a new order each epoch
//! let mut c = Loader::new(10, 4, false, true, 0).unwrap();
//! assert_eq!(c.epoch(), [vec![0, 1, 2, 3], vec![4, 5, 6, 7]]); // drop_last
//! ```

use towel_autograd::rng::Rng;

use crate::error::{invalid, Result};

/// Batches of indices into a data set of `n` examples.
#[derive(Debug, Clone)]
pub struct Loader {
    n: usize,
    batch_size: usize,
    shuffle: bool,
    drop_last: bool,
    rng: Rng,
}

impl Loader {
    /// A loader over `n` examples; `seed` drives the shuffling.
    pub fn new(
        n: usize,
        batch_size: usize,
        shuffle: bool,
        drop_last: bool,
        seed: u64,
    ) -> Result<Loader> {
        if batch_size == 0 {
            return Err(invalid("the batch size must be at least 1"));
        }
        if n == 0 {
            return Err(invalid("the data set is empty"));
        }
        Ok(Loader {
            n,
            batch_size,
            shuffle,
            drop_last,
            rng: Rng::new(seed),
        })
    }

    /// Number of batches per epoch.
    pub fn batches_per_epoch(&self) -> usize {
        if self.drop_last {
            self.n / self.batch_size
        } else {
            self.n.div_ceil(self.batch_size)
        }
    }

    /// The batches of the next epoch (a new permutation when shuffling).
    pub fn epoch(&mut self) -> Vec<Vec<usize>> {
        let order = if self.shuffle {
            permutation(self.n, &mut self.rng)
        } else {
            (0..self.n).collect()
        };
        let mut out: Vec<Vec<usize>> = order
            .chunks(self.batch_size)
            .map(<[usize]>::to_vec)
            .collect();
        if self.drop_last && out.last().is_some_and(|b| b.len() < self.batch_size) {
            out.pop();
        }
        out
    }
}

/// A uniformly random permutation of `0..n` (Fisher–Yates).
pub fn permutation(n: usize, rng: &mut Rng) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.below(i + 1);
        v.swap(i, j);
    }
    v
}

/// A stratified split: `ceil(test_fraction · n)` examples go to the test
/// set (scikit-learn's count), shared among the classes in proportion to
/// their sizes (each gets the floor of its share; the examples left over
/// go to the classes with the largest remainders, as scikit-learn's
/// `_approximate_mode`); which examples of a class are chosen is seeded.
/// Returns `(train, test)` indices, each sorted.
pub fn stratified_split(
    labels: &[usize],
    test_fraction: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut rng = Rng::new(seed);
    let n = labels.len();
    let classes = labels.iter().copied().max().map_or(0, |m| m + 1);
    let members: Vec<Vec<usize>> = (0..classes)
        .map(|c| (0..n).filter(|&i| labels[i] == c).collect())
        .collect();
    let n_test = (test_fraction * n as f64).ceil() as usize;
    let shares: Vec<f64> = members
        .iter()
        .map(|m| n_test as f64 * m.len() as f64 / n.max(1) as f64)
        .collect();
    let mut k: Vec<usize> = shares.iter().map(|s| s.floor() as usize).collect();
    let mut order: Vec<usize> = (0..classes).collect();
    order.sort_by(|&a, &b| {
        (shares[b] - shares[b].floor()).total_cmp(&(shares[a] - shares[a].floor()))
    });
    let mut left = n_test.saturating_sub(k.iter().sum());
    for c in order {
        if left == 0 {
            break;
        }
        if k[c] < members[c].len() {
            k[c] += 1;
            left -= 1;
        }
    }
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (c, m) in members.iter().enumerate() {
        let perm = permutation(m.len(), &mut rng);
        for (r, &p) in perm.iter().enumerate() {
            if r < k[c] {
                test.push(m[p]);
            } else {
                train.push(m[p]);
            }
        }
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}
