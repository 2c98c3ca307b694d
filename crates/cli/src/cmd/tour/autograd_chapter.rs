//! Chapter: what `.backward()` does, on scalars and on tensors.

use anyhow::{ensure, Result};
use towel_autograd::array::Array;
use towel_autograd::einsum::einsum;
use towel_autograd::expr;
use towel_autograd::rng::Rng;
use towel_autograd::scalar::Tape;
use towel_autograd::tensor::{live_nodes, no_grad, Tensor};

use super::{Chapter, Ctx, Page};

pub struct AutogradChapter;

fn rand(shape: &[usize], rng: &mut Rng) -> Result<Tensor> {
    let n: usize = shape.iter().product();
    let data = (0..n).map(|_| rng.uniform(-1.0, 1.0) as f32).collect();
    Ok(Tensor::from_vec(data, shape)?)
}

/// Lay out a DOT graph and draw it as SVG, in pure Rust (`layout-rs`).
fn dot_to_svg(dot: &str) -> Result<String> {
    let mut parser = layout::gv::DotParser::new(dot);
    let tree = parser
        .process()
        .map_err(|e| anyhow::anyhow!("the expression graph's DOT does not parse: {e}"))?;
    let mut builder = layout::gv::GraphBuilder::new();
    builder.visit_graph(&tree);
    let mut graph = builder.get();
    let mut svg = layout::backends::svg::SVGWriter::new();
    graph.do_it(false, false, false, &mut svg);
    Ok(crop_height(&svg.finalize()))
}

/// `layout-rs` leaves a tall empty band under a wide, flat graph: set the
/// picture's height to the lowest box plus a margin.
fn crop_height(svg: &str) -> String {
    let attr = |tag: &str, name: &str| -> Option<f64> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        tag[at..].split('"').next()?.trim().parse().ok()
    };
    let bottom = svg
        .split("<rect")
        .skip(1)
        .filter_map(|tag| Some(attr(tag, "y")? + attr(tag, "height")?))
        .fold(0f64, f64::max);
    let Some(head_end) = svg
        .find("<svg")
        .and_then(|i| svg[i..].find('>').map(|j| i + j))
    else {
        return svg.to_string();
    };
    let head = &svg[..head_end];
    let (Some(w), Some(h)) = (attr(head, "width"), attr(head, "height")) else {
        return svg.to_string();
    };
    let new_h = (bottom + 30.0).min(h).ceil();
    if bottom <= 0.0 {
        return svg.to_string();
    }
    let new_head = head
        .replace(&format!("height=\"{h}\""), &format!("height=\"{new_h}\""))
        .replace(
            &format!("viewBox=\"0 0 {w} {h}\""),
            &format!("viewBox=\"0 0 {w} {new_h}\""),
        );
    format!("{new_head}{}", &svg[head_end..])
}

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    a.to_vec()
        .iter()
        .zip(b.to_vec())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

impl Chapter for AutogradChapter {
    fn id(&self) -> &'static str {
        "autograd"
    }

    fn title(&self) -> &'static str {
        "Autograd: what .backward() does"
    }

    fn run(&self, _ctx: &Ctx, page: &mut Page) -> Result<()> {
        // 1. The curriculum's derivative, three ways.
        let x0 = 2.0;
        let g = expr::gradient("sin(x**3 + 2*x)", &[("x", x0)])?;
        let engine = g.grad[0].1;
        let exact = 12f64.cos() * 14.0;
        let h = 1e-6;
        let f = |x: f64| (x * x * x + 2.0 * x).sin();
        let numeric = (f(x0 + h) - f(x0 - h)) / (2.0 * h);
        ensure!(
            (engine - exact).abs() < 1e-12,
            "engine {engine} vs cos(12)*14 {exact}"
        );
        page.para(
            "d/dx sin(x³ + 2x) at x = 2 is cos(x³ + 2x)·(3x² + 2) = cos(12)·14. The scalar \
             engine (micrograd's semantics, on a flat tape) gets it by the chain rule; a \
             central finite difference agrees to about 1e-9:",
        );
        page.table(
            &["how", "d/dx at x = 2"],
            &[
                vec![
                    "scalar engine (`towel grad`)".to_string(),
                    format!("{engine:.12}"),
                ],
                vec!["cos(12) · 14".to_string(), format!("{exact:.12}")],
                vec![
                    "finite difference, h = 1e-6".to_string(),
                    format!("{numeric:.12}"),
                ],
            ],
        );
        page.fact("sin_grad", engine);
        page.say(format!(
            "d/dx sin(x^3 + 2x) at 2 = {engine:.6} = cos(12)*14 (finite difference {numeric:.6})"
        ));

        // 2. The chain rule, node by node.
        let text = "tanh(w*x + b)";
        let parsed = expr::parse(text)?;
        let tape = Tape::new();
        let graph = expr::build(&tape, text, &parsed, &[("w", 0.5), ("x", 2.0), ("b", -0.5)])?;
        let steps = graph.backward_trace();
        page.heading("The chain rule, node by node");
        page.para(format!(
            "`towel grad \"{text}\" --at w=0.5,x=2,b=-0.5 --trace` walks the graph from the output \
             back to the inputs (reverse topological order). Each node passes its gradient times \
             its local derivative to each input, which adds it to its own gradient:"
        ));
        let mut rows = Vec::new();
        for s in &steps {
            for (i, inp) in s.inputs.iter().enumerate() {
                rows.push(vec![
                    if i == 0 {
                        format!("{} = {}", graph.name(s.id), graph.formula(s.id))
                    } else {
                        String::new()
                    },
                    if i == 0 {
                        format!("{:.4}", s.node.data)
                    } else {
                        String::new()
                    },
                    if i == 0 {
                        format!("{:.4}", s.node.grad)
                    } else {
                        String::new()
                    },
                    graph.name(inp.input),
                    format!("{:.4}", inp.local),
                    format!("{:.4}", inp.product),
                ]);
            }
        }
        page.table(
            &[
                "node",
                "value",
                "grad",
                "input",
                "local derivative",
                "added to input's grad",
            ],
            &rows,
        );
        let dot = graph.dot();
        let svg = dot_to_svg(&graph.dot_with_digits(Some(4)))?;
        let nodes = dot.matches("[label=").count();
        ensure!(
            svg.contains("<svg") && svg.matches("<rect").count() == nodes,
            "the picture of the graph has a box per node ({nodes})"
        );
        page.para(
            "The graph drawn from its DOT by a pure-Rust layout engine (`layout-rs`, no \
             Graphviz needed): each box is a node with its value and its gradient after \
             backward, each arrow goes from an input to the node that uses it.",
        );
        page.svg("graph", "the expression graph of tanh(w*x + b)", &svg)?;
        page.para(format!(
            "The same graph in Graphviz DOT (`--dot`):\n\n```dot\n{dot}```"
        ));

        // 3. Views share memory, copies do not.
        page.heading("Views and copies");
        let a = Array::from_vec((0..6).map(|v| v as f32).collect(), &[2, 3])?;
        let t = a.transpose(0, 1)?;
        let flat = t.reshape(&[6])?;
        let n = a.narrow(1, 1, 2)?;
        page.table(
            &["array", "shape", "strides", "offset", "shares a's storage"],
            &[
                vec![
                    "a".into(),
                    format!("{:?}", a.shape()),
                    format!("{:?}", a.strides()),
                    a.offset().to_string(),
                    "-".into(),
                ],
                vec![
                    "a.transpose(0, 1)".into(),
                    format!("{:?}", t.shape()),
                    format!("{:?}", t.strides()),
                    t.offset().to_string(),
                    t.shares_storage(&a).to_string(),
                ],
                vec![
                    "a.narrow(1, 1, 2)".into(),
                    format!("{:?}", n.shape()),
                    format!("{:?}", n.strides()),
                    n.offset().to_string(),
                    n.shares_storage(&a).to_string(),
                ],
                vec![
                    "a.transpose(0, 1).reshape([6])".into(),
                    format!("{:?}", flat.shape()),
                    format!("{:?}", flat.strides()),
                    flat.offset().to_string(),
                    flat.shares_storage(&a).to_string(),
                ],
            ],
        );
        page.para(format!(
            "A transpose only swaps strides. Flattening it cannot be a view (its elements are not \
             evenly spaced in memory), so `view` refuses, as PyTorch's does: *{}*; `reshape` copies.",
            t.view(&[6]).map(|_| String::new()).unwrap_or_else(|e| e.to_string())
        ));

        // 4. Einsum next to matmul.
        page.heading("einsum and its matmul");
        let mut rng = Rng::new(7);
        let (q, k) = (
            rand(&[2, 4, 8, 16], &mut rng)?,
            rand(&[2, 4, 8, 16], &mut rng)?,
        );
        let (m1, m2) = (rand(&[8, 16], &mut rng)?, rand(&[16, 4], &mut rng)?);
        let (b1, b2) = (rand(&[3, 8, 16], &mut rng)?, rand(&[3, 16, 4], &mut rng)?);
        let att = einsum(
            "bhij,bhjd->bhid",
            &[&einsum("bhid,bhjd->bhij", &[&q, &k])?, &k],
        )?;
        let att_mm = q.matmul(&k.transpose(-1, -2)?)?.matmul(&k)?;
        let forms = [
            (
                "ik,kj->ij",
                "a.matmul(b)",
                max_diff(&einsum("ik,kj->ij", &[&m1, &m2])?, &m1.matmul(&m2)?),
            ),
            (
                "bik,bkj->bij",
                "a.matmul(b), batched",
                max_diff(&einsum("bik,bkj->bij", &[&b1, &b2])?, &b1.matmul(&b2)?),
            ),
            (
                "bhid,bhjd->bhij, then bhij,bhjd->bhid",
                "q.matmul(kᵀ).matmul(k)",
                max_diff(&att, &att_mm),
            ),
            ("ii->", "sum of the diagonal", {
                let sq = rand(&[5, 5], &mut rng)?;
                let tr: f32 = (0..5).map(|i| sq.to_vec()[i * 6]).sum();
                (einsum("ii->", &[&sq])?.to_vec()[0] - tr).abs()
            }),
        ];
        let rows: Vec<Vec<String>> = forms
            .iter()
            .map(|(e, m, d)| vec![format!("`{e}`"), m.to_string(), format!("{d:.1e}")])
            .collect();
        page.table(&["einsum", "equivalent", "max abs difference"], &rows);

        // 5. Softmax over the last dim of (B, T, C): broadcasting vs einsum.
        page.heading("Softmax of a (B, T, C) tensor, two ways");
        let x = rand(&[4, 8, 16], &mut rng)?.mul(&Tensor::scalar(5.0))?;
        let shifted = x.sub(&x.max_dim(-1, true)?)?.exp();
        let by_broadcast = shifted.div(&shifted.sum_dims(&[-1], true)?)?;
        let sums = einsum("btc->bt", &[&shifted])?.reshape(&[4, 8, 1])?;
        let by_einsum = shifted.div(&sums)?;
        let op = x.softmax(-1)?;
        page.table(
            &["computed as", "max abs difference to softmax(-1)"],
            &[
                vec![
                    "exp(x − max) / sum(keepdim), by broadcasting".to_string(),
                    format!("{:.1e}", max_diff(&by_broadcast, &op)),
                ],
                vec![
                    "row sums by einsum `btc->bt`".to_string(),
                    format!("{:.1e}", max_diff(&by_einsum, &op)),
                ],
            ],
        );

        // 6. Memory: a forward pass with and without the graph.
        page.heading("Why no_grad matters for memory");
        let w1 = rand(&[64, 256], &mut rng)?.requires_grad();
        let w2 = rand(&[256, 10], &mut rng)?.requires_grad();
        let input = rand(&[128, 64], &mut rng)?;
        let before = live_nodes();
        let loss = input
            .matmul(&w1)?
            .gelu()
            .matmul(&w2)?
            .cross_entropy(&[3; 128], None)?;
        let with_graph = live_nodes() - before;
        loss.backward()?;
        let after_backward = live_nodes() - before;
        let without = {
            let _g = no_grad();
            let _y = input.matmul(&w1)?.gelu().matmul(&w2)?.log_softmax(-1)?;
            live_nodes() - before
        };
        page.para(format!(
            "A two-layer network on a batch of 128: the forward pass keeps {with_graph} graph \
             nodes alive, each holding the arrays its backward needs (inputs, activations); \
             `backward` frees them ({after_backward} left); under `no_grad` the same forward \
             makes {without}, so nothing is kept beyond the output."
        ));
        page.fact("nodes_with_grad", with_graph);
        page.fact("nodes_no_grad", without);
        page.say(format!(
            "forward pass: {with_graph} graph nodes with gradients, {without} under no_grad; {after_backward} after backward"
        ));
        Ok(())
    }
}
