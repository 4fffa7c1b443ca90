//! The page: its style sheet, the [`Page`] builder (header, sections, figures, tables,
//! footer) and [`escape`], through which every text from the results passes (markup and
//! hidden characters alike).
//!
//! The page has no scripts and no external references (a Content-Security-Policy forbids
//! them), so it opens offline; charts are inline SVG from [`super::chart`].

use std::fmt::Write as _;

/// Escapes text for HTML content and attribute values. HTML whitespace (tab, line feed,
/// form feed, carriage return) reads as a space, as the page would show it; any other
/// hidden character is shown as its code ([`crate::format::escape`]), so a name on the
/// page never hides or reorders anything.
pub fn escape(s: &str) -> String {
    let spaced: String = s
        .chars()
        .map(|c| match c {
            '\t' | '\n' | '\x0C' | '\r' => ' ',
            c => c,
        })
        .collect();
    let mut out = String::with_capacity(s.len());
    for c in crate::format::escape(&spaced).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "
:root { color-scheme: light; }
body { margin: 0; background: #f4f5f7; color: #222; font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; }
main { max-width: 1140px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
header .kind { margin: 0; color: #667; font-size: 13px; text-transform: uppercase; letter-spacing: .06em; }
h1 { margin: 4px 0 6px; font-size: 28px; line-height: 1.2; }
h2 { margin: 34px 0 8px; font-size: 20px; border-bottom: 1px solid #e3e5e8; padding-bottom: 4px; }
h3 { margin: 22px 0 6px; font-size: 16px; }
p.desc { margin: 0 0 8px; color: #444; }
figure { margin: 10px 0 18px; }
figure svg { display: block; width: 100%; height: auto; }
figcaption, p.note { color: #555; font-size: 13.5px; margin: 6px 0 0; }
table { border-collapse: collapse; font-size: 14px; margin: 8px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eceef1; text-align: right; white-space: nowrap; }
th { background: #f7f8fa; font-weight: 600; }
td:first-child, th:first-child { text-align: left; }
td { font-variant-numeric: tabular-nums; }
table.kv td:first-child { color: #555; white-space: nowrap; }
table.kv td { text-align: left; white-space: normal; }
.muted { color: #889; }
.cols { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.25fr); gap: 0 44px; align-items: start; }
.cols table { width: 100%; }
@media (max-width: 900px) { .cols { grid-template-columns: minmax(0, 1fr); } }
footer { margin-top: 36px; color: #778; font-size: 12.5px; }
";

pub(super) struct Page {
    title: String,
    kind: &'static str,
    body: String,
}

impl Page {
    pub(super) fn new(kind: &'static str, title: &str, description: Option<String>) -> Page {
        let mut body = String::new();
        let _ = write!(
            body,
            "<header><p class=\"kind\">downstream · {kind} report</p><h1>{}</h1>",
            escape(title)
        );
        if let Some(d) = description {
            let _ = write!(body, "<p class=\"desc\">{}</p>", escape(&d));
        }
        body.push_str("</header>\n");
        Page {
            title: title.to_string(),
            kind,
            body,
        }
    }

    pub(super) fn raw(&mut self, html: &str) {
        self.body.push_str(html);
    }

    pub(super) fn h2(&mut self, text: &str) {
        let _ = writeln!(self.body, "<h2>{}</h2>", escape(text));
    }

    pub(super) fn h3(&mut self, text: &str) {
        let _ = writeln!(self.body, "<h3>{}</h3>", escape(text));
    }

    pub(super) fn note(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p class=\"note\">{}</p>", escape(text));
    }

    pub(super) fn figure(&mut self, svg: String, caption: &str) {
        let _ = writeln!(
            self.body,
            "<figure>{svg}<figcaption>{}</figcaption></figure>",
            escape(caption)
        );
    }

    pub(super) fn kv(&mut self, rows: &[(String, String)]) {
        self.body.push_str("<table class=\"kv\">\n");
        for (k, v) in rows {
            let _ = writeln!(
                self.body,
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(k),
                escape(v)
            );
        }
        self.body.push_str("</table>\n");
    }

    pub(super) fn table(&mut self, header: &[&str], rows: &[Vec<String>]) {
        self.body.push_str("<table>\n<tr>");
        for h in header {
            let _ = write!(self.body, "<th>{}</th>", escape(h));
        }
        self.body.push_str("</tr>\n");
        for row in rows {
            self.body.push_str("<tr>");
            for c in row {
                let _ = write!(self.body, "<td>{}</td>", escape(c));
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</table>\n");
    }

    pub(super) fn finish(self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
             <title>{} · downstream {} report</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{}\
             <footer>Written by downstream {} from the files of the result folder. Money in US dollars \
             ($B = billions), counts in millions (M). Percentiles across trials interpolate linearly \
             (p05, p50, p95).</footer>\n</main>\n</body>\n</html>\n",
            escape(&self.title),
            self.kind,
            self.body,
            env!("CARGO_PKG_VERSION"),
        )
    }
}
