//! SVG pictures of 2-D slices: cells coloured by activation pattern and the
//! network's zero level set. Returns the document as a string (the library
//! writes no files).

use std::fmt::Write as _;

use crate::slice::Slice;

/// A colour for an activation pattern: the hue from a hash of the pattern,
/// so equal patterns get equal colours in every panel.
fn colour(pattern: &[bool]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in pattern {
        h ^= u64::from(b) + 1;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let hue = h % 360;
    let light = 55 + (h >> 16) % 25;
    format!("hsl({hue},60%,{light}%)")
}

/// Panels side by side, `size` pixels square each, with a title above each.
#[must_use]
pub fn render(panels: &[(&str, &Slice)], size: f64) -> String {
    let pad = 24.0;
    let width = panels.len() as f64 * (size + pad) + pad;
    let height = size + 2.0 * pad + 8.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (k, (title, slice)) in panels.iter().enumerate() {
        let [s0, s1, t0, t1] = slice.rect;
        let ox = pad + k as f64 * (size + pad);
        let oy = 2.0 * pad;
        let map = |p: [f64; 2]| -> (f64, f64) {
            (
                ox + (p[0] - s0) / (s1 - s0) * size,
                oy + (t1 - p[1]) / (t1 - t0) * size,
            )
        };
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}">{} ({} regions)</text>"#,
            ox,
            pad + 4.0,
            escape(title),
            slice.count()
        );
        for cell in &slice.cells {
            let pts: Vec<String> = cell
                .vertices
                .iter()
                .map(|p| {
                    let (x, y) = map(*p);
                    format!("{x:.2},{y:.2}")
                })
                .collect();
            let _ = writeln!(
                s,
                r#"<polygon points="{}" fill="{}" stroke="white" stroke-width="0.4"/>"#,
                pts.join(" "),
                colour(&cell.pattern)
            );
        }
        for cell in &slice.cells {
            if let Some([a, b]) = cell.zero_segment() {
                let ((x1, y1), (x2, y2)) = (map(a), map(b));
                let _ = writeln!(
                    s,
                    r#"<line x1="{x1:.2}" y1="{y1:.2}" x2="{x2:.2}" y2="{y2:.2}" stroke="black" stroke-width="1.6"/>"#
                );
            }
        }
        let _ = writeln!(
            s,
            r#"<rect x="{ox:.1}" y="{oy:.1}" width="{size:.1}" height="{size:.1}" fill="none" stroke="black" stroke-width="0.8"/>"#
        );
    }
    s.push_str("</svg>\n");
    s
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
