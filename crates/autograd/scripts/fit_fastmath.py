#!/usr/bin/env python3
"""Fit the polynomial coefficients of towel-autograd's fastmath.rs.

Prints, as f32, the coefficients (highest degree first, the order of the
Horner loops in fastmath.rs) and the fits' maximum relative errors, exact
and evaluated in f32:

* exp: e^r = 1 + r + r^2*P(r) on |r| <= ln2/2 (a little beyond, for the
  reduction's rounding), P of degree 4 (exp_poly) and of degree 3 (GELU);
* GELU: erfcx(z) = t*q(t), t = 1/(1 + p z) = U0/(a + U0), z = a/sqrt(2),
  U0 = 1/0.318198 in f32 (p = sqrt(2)/U0, about 0.45), q of degree 7, for z
  up to 13.2/sqrt(2) (|x| <= 13.2, beyond which e^(-z^2)/2 is below f32's
  normal range); printed times U0 (fastmath.rs multiplies q by u = a*t/U0).
  GELU's exponential uses the degree-3 P below with its coefficients
  scaled by (-1/2)^k, exactly, in fastmath.rs.

Weighted least squares with Lawson's reweighting towards the minimax
(relative) error. Needs numpy and scipy (~/.peers-venv):

    ~/.peers-venv/bin/python crates/autograd/scripts/fit_fastmath.py
"""

import numpy as np
from numpy.polynomial import chebyshev as C
from scipy.special import erfcx

f32 = np.float32


def horner32(coef_low_first, x):
    acc = f32(coef_low_first[-1])
    for c in coef_low_first[-2::-1]:
        acc = (acc * x + f32(c)).astype(f32)
    return acc


def fit_exp(deg, half_width):
    r = np.cos(np.linspace(0, np.pi, 20001)) * half_width
    r = r[np.abs(r) > 1e-6]
    g = (np.expm1(r) - r) / r**2
    w = np.ones_like(r)
    for _ in range(40):
        cf = np.polynomial.polynomial.polyfit(r, g, deg, w=w)
        e = np.abs((np.polynomial.polynomial.polyval(r, cf) * r * r + r + 1) / np.exp(r) - 1)
        w = w * (e / e.max()) ** 0.5 + 1e-12
    rr = np.linspace(-half_width, half_width, 400001).astype(f32)
    p = horner32(cf.astype(f32), rr)
    ev = ((p * rr).astype(f32) * rr + rr).astype(f32) + f32(1)
    err32 = np.max(np.abs(ev.astype(np.float64) / np.exp(rr.astype(np.float64)) - 1))
    return cf, e.max(), err32


def fit_erfcx(deg, p, amax):
    tmin = 1 / (1 + p * amax / np.sqrt(2))
    t = np.cos(np.linspace(0, np.pi, 40001)) * (1 - tmin) / 2 + (1 + tmin) / 2
    q = erfcx((1 / t - 1) / p) / t
    u = (2 * t - (1 + tmin)) / (1 - tmin)
    w = np.ones_like(t)
    for _ in range(30):
        cf = C.chebfit(u, q, deg, w=w / q)
        e = np.abs(C.chebval(u, cf) / q - 1)
        w = w * (e / e.max()) ** 0.5 + 1e-12
        w /= w.max()
    a, b = 2 / (1 - tmin), -(1 + tmin) / (1 - tmin)
    mono = np.polynomial.Polynomial(C.cheb2poly(cf))(np.polynomial.Polynomial([b, a])).coef
    tt = np.linspace(tmin, 1, 400001).astype(f32)
    ref = erfcx((1 / tt.astype(np.float64) - 1) / p) / tt
    err32 = np.max(np.abs(horner32(mono, tt) / ref - 1))
    return mono, e.max(), err32


def show(name, coef_low_first, exact, in_f32):
    print(f"{name}: exact {exact:.2e}, f32 {in_f32:.2e}")
    print("  " + ", ".join(repr(float(f32(c))) for c in coef_low_first[::-1]))


if __name__ == "__main__":
    show("exp_poly P (degree 4)", *fit_exp(4, 0.3466 * 1.02))
    show("GELU's exp P (degree 3)", *fit_exp(3, 0.3466 * 1.03))
    u0 = np.float64(f32(1 / np.float64(f32(0.318_198_05))))
    q, exact, in_f32 = fit_erfcx(7, np.sqrt(2) / u0, 13.2)
    show(f"GELU's U0*q (degree 7, U0 = {float(u0)!r})", q * u0, exact, in_f32)
