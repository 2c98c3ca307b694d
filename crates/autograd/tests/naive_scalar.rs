//! micrograd translated literally: `Rc<RefCell<Node>>` objects that point at
//! their children, a recursive topological sort with a visited set, one
//! boxed closure per node. The tape engine must give the same values and
//! gradients (property test below); `examples/bench_scalar.rs` times the two.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

type Backward = Box<dyn Fn(&NodeData)>;

pub struct NodeData {
    pub data: RefCell<f64>,
    pub grad: RefCell<f64>,
    prev: Vec<Naive>,
    backward: RefCell<Option<Backward>>,
}

#[derive(Clone)]
pub struct Naive(pub Rc<NodeData>);

impl Naive {
    pub fn new(data: f64) -> Self {
        Self::with(data, vec![])
    }

    fn with(data: f64, prev: Vec<Naive>) -> Self {
        Naive(Rc::new(NodeData {
            data: RefCell::new(data),
            grad: RefCell::new(0.0),
            prev,
            backward: RefCell::new(None),
        }))
    }

    pub fn data(&self) -> f64 {
        *self.0.data.borrow()
    }

    pub fn grad(&self) -> f64 {
        *self.0.grad.borrow()
    }

    fn unary(&self, data: f64, local: f64) -> Naive {
        let out = Naive::with(data, vec![self.clone()]);
        let a = self.clone();
        *out.0.backward.borrow_mut() = Some(Box::new(move |o: &NodeData| {
            *a.0.grad.borrow_mut() += local * *o.grad.borrow();
        }));
        out
    }

    fn binary(&self, other: &Naive, data: f64, da: f64, db: f64) -> Naive {
        let out = Naive::with(data, vec![self.clone(), other.clone()]);
        let (a, b) = (self.clone(), other.clone());
        *out.0.backward.borrow_mut() = Some(Box::new(move |o: &NodeData| {
            let g = *o.grad.borrow();
            *a.0.grad.borrow_mut() += da * g;
            *b.0.grad.borrow_mut() += db * g;
        }));
        out
    }

    pub fn add(&self, o: &Naive) -> Naive {
        self.binary(o, self.data() + o.data(), 1.0, 1.0)
    }
    pub fn sub(&self, o: &Naive) -> Naive {
        self.binary(o, self.data() - o.data(), 1.0, -1.0)
    }
    pub fn mul(&self, o: &Naive) -> Naive {
        self.binary(o, self.data() * o.data(), o.data(), self.data())
    }
    pub fn div(&self, o: &Naive) -> Naive {
        let (a, b) = (self.data(), o.data());
        self.binary(o, a / b, 1.0 / b, -a / (b * b))
    }
    pub fn pow(&self, k: f64) -> Naive {
        let a = self.data();
        self.unary(a.powf(k), k * a.powf(k - 1.0))
    }
    pub fn neg(&self) -> Naive {
        self.unary(-self.data(), -1.0)
    }
    pub fn exp(&self) -> Naive {
        let e = self.data().exp();
        self.unary(e, e)
    }
    pub fn log(&self) -> Naive {
        self.unary(self.data().ln(), 1.0 / self.data())
    }
    pub fn sin(&self) -> Naive {
        self.unary(self.data().sin(), self.data().cos())
    }
    pub fn cos(&self) -> Naive {
        self.unary(self.data().cos(), -self.data().sin())
    }
    pub fn tanh(&self) -> Naive {
        let t = self.data().tanh();
        self.unary(t, 1.0 - t * t)
    }
    pub fn sigmoid(&self) -> Naive {
        let s = 1.0 / (1.0 + (-self.data()).exp());
        self.unary(s, s * (1.0 - s))
    }
    pub fn relu(&self) -> Naive {
        let r = if self.data() < 0.0 { 0.0 } else { self.data() };
        self.unary(r, if r > 0.0 { 1.0 } else { 0.0 })
    }

    /// micrograd's `backward`: DFS topological sort, then closures in reverse.
    pub fn backward(&self) {
        fn build(v: &Naive, seen: &mut HashSet<*const NodeData>, topo: &mut Vec<Naive>) {
            if seen.insert(Rc::as_ptr(&v.0)) {
                for c in &v.0.prev {
                    build(c, seen, topo);
                }
                topo.push(v.clone());
            }
        }
        let mut topo = Vec::new();
        build(self, &mut HashSet::new(), &mut topo);
        *self.0.grad.borrow_mut() = 1.0;
        for v in topo.iter().rev() {
            if let Some(f) = &*v.0.backward.borrow() {
                f(&v.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Naive;
    use proptest::prelude::*;
    use towel_autograd::scalar::{Tape, Value};

    /// A random expression: a postfix program over three variables.
    #[derive(Debug, Clone)]
    enum Step {
        Var(usize),
        Const(f64),
        Unary(u8),
        Binary(u8),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0..3usize).prop_map(Step::Var),
            (-3.0..3.0f64).prop_map(Step::Const),
            (0..9u8).prop_map(Step::Unary),
            (0..4u8).prop_map(Step::Binary),
        ]
    }

    fn run_tape<'t>(tape: &'t Tape, vars: &[Value<'t>], prog: &[Step]) -> Option<Value<'t>> {
        let mut stack: Vec<Value<'t>> = Vec::new();
        for s in prog {
            match *s {
                Step::Var(i) => stack.push(vars[i]),
                Step::Const(c) => stack.push(tape.var(c)),
                Step::Unary(u) => {
                    let a = stack.pop()?;
                    stack.push(match u {
                        0 => -a,
                        1 => a.tanh(),
                        2 => a.sigmoid(),
                        3 => a.relu(),
                        4 => a.sin(),
                        5 => a.cos(),
                        6 => a.pow(2.0),
                        7 => (a * 0.1).exp(),
                        _ => (a * a + 1.0).log(),
                    });
                }
                Step::Binary(b) => {
                    let y = stack.pop()?;
                    let x = stack.pop()?;
                    stack.push(match b {
                        0 => x + y,
                        1 => x - y,
                        2 => x * y,
                        _ => x / (y * y + 1.0),
                    });
                }
            }
        }
        stack.pop()
    }

    fn run_naive(vars: &[Naive], prog: &[Step]) -> Option<Naive> {
        let mut stack: Vec<Naive> = Vec::new();
        for s in prog {
            match *s {
                Step::Var(i) => stack.push(vars[i].clone()),
                Step::Const(c) => stack.push(Naive::new(c)),
                Step::Unary(u) => {
                    let a = stack.pop()?;
                    stack.push(match u {
                        0 => a.neg(),
                        1 => a.tanh(),
                        2 => a.sigmoid(),
                        3 => a.relu(),
                        4 => a.sin(),
                        5 => a.cos(),
                        6 => a.pow(2.0),
                        7 => a.mul(&Naive::new(0.1)).exp(),
                        _ => a.mul(&a).add(&Naive::new(1.0)).log(),
                    });
                }
                Step::Binary(b) => {
                    let y = stack.pop()?;
                    let x = stack.pop()?;
                    stack.push(match b {
                        0 => x.add(&y),
                        1 => x.sub(&y),
                        2 => x.mul(&y),
                        _ => x.div(&y.mul(&y).add(&Naive::new(1.0))),
                    });
                }
            }
        }
        stack.pop()
    }

    fn close(a: f64, b: f64) -> bool {
        a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    proptest! {
        #[test]
        fn tape_equals_the_rc_translation(
            xs in prop::array::uniform3(-2.0..2.0f64),
            prog in prop::collection::vec(step(), 1..40),
        ) {
            let tape = Tape::new();
            let tv: Vec<Value> = xs.iter().map(|&x| tape.var(x)).collect();
            let nv: Vec<Naive> = xs.iter().map(|&x| Naive::new(x)).collect();
            let (Some(t), Some(n)) = (run_tape(&tape, &tv, &prog), run_naive(&nv, &prog)) else {
                return Ok(());
            };
            prop_assume!(t.data().is_finite());
            // The same operations in the same order: the same value, bit for bit.
            prop_assert_eq!(t.data().to_bits(), n.data().to_bits());
            t.backward();
            n.backward();
            for (a, b) in tv.iter().zip(&nv) {
                // Gradient contributions may be summed in another order.
                prop_assert!(close(a.grad(), b.grad()), "{} vs {}", a.grad(), b.grad());
            }
        }
    }
}
