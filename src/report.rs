//! `report.md`: the human-readable twin of `report.json` (gen-verilog), the cosim report and
//! `synth.json`. A tiny Markdown builder shared by the three writers, so every report has the
//! same look: a title, short paragraphs and pipe tables with numbers right-aligned.

/// A Markdown pipe table.
#[derive(Clone, Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; missing cells are left empty, extra cells are an error of the caller.
    pub fn row<S: ToString>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Table {
        let mut r: Vec<String> = cells.into_iter().map(|c| cell(&c.to_string())).collect();
        debug_assert!(r.len() <= self.header.len(), "row wider than the header");
        r.resize(self.header.len(), String::new());
        self.rows.push(r);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as Markdown; a column whose cells are all numbers is right-aligned.
    pub fn to_markdown(&self) -> String {
        let n = self.header.len();
        let numeric: Vec<bool> = (0..n)
            .map(|c| {
                !self.rows.is_empty()
                    && self.rows.iter().all(|r| {
                        let v = r[c].trim_end_matches(['%', ' ']).replace(',', "");
                        v.is_empty() || v == "–" || v.parse::<f64>().is_ok()
                    })
            })
            .collect();
        let width = |c: usize| {
            self.rows
                .iter()
                .map(|r| r[c].chars().count())
                .chain(std::iter::once(self.header[c].chars().count()))
                .max()
                .unwrap_or(0)
                .max(3)
        };
        let widths: Vec<usize> = (0..n).map(width).collect();
        let line = |cells: &[String]| {
            let mut s = String::from("|");
            for (c, v) in cells.iter().enumerate() {
                let pad = widths[c] - v.chars().count();
                if numeric[c] {
                    s.push_str(&format!(" {}{v} |", " ".repeat(pad)));
                } else {
                    s.push_str(&format!(" {v}{} |", " ".repeat(pad)));
                }
            }
            s.push('\n');
            s
        };
        let mut out = line(&self.header);
        out.push('|');
        for c in 0..n {
            let dashes = "-".repeat(widths[c] - 1);
            if numeric[c] {
                out.push_str(&format!(" {dashes}: |"));
            } else {
                out.push_str(&format!(" {dashes}- |"));
            }
        }
        out.push('\n');
        for r in &self.rows {
            out.push_str(&line(r));
        }
        out
    }
}

/// A cell: pipes escaped, one line.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown document built section by section.
#[derive(Clone, Debug, Default)]
pub struct Doc {
    text: String,
}

impl Doc {
    /// A document with a `# title`.
    pub fn new(title: &str) -> Doc {
        Doc {
            text: format!("# {title}\n"),
        }
    }

    /// A `## heading`.
    pub fn section(&mut self, heading: &str) -> &mut Doc {
        self.text.push_str(&format!("\n## {heading}\n"));
        self
    }

    /// A paragraph.
    pub fn para(&mut self, text: &str) -> &mut Doc {
        self.text.push_str(&format!("\n{text}\n"));
        self
    }

    pub fn table(&mut self, t: &Table) -> &mut Doc {
        self.text.push('\n');
        self.text.push_str(&t.to_markdown());
        self
    }

    /// A two-column `what | value` table.
    pub fn facts<K: ToString, V: ToString>(
        &mut self,
        rows: impl IntoIterator<Item = (K, V)>,
    ) -> &mut Doc {
        let mut t = Table::new(&["item", "value"]);
        for (k, v) in rows {
            t.row([k.to_string(), v.to_string()]);
        }
        self.table(&t)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Writes the document to `path` (naming it on failure).
    pub fn write(&self, path: &std::path::Path) -> anyhow::Result<()> {
        crate::commands::write_file(path, &self.text)
    }
}

/// The text of a JSON report (`report.json`, `synth.json`): pretty, every object's keys sorted.
/// They were built as `serde_json::Value`s, whose maps sort their keys, and readers diff them:
/// going through a `Value` keeps that order whatever the field order of the structs, hdl's
/// `Design` included.
pub fn sorted_json<T: serde::Serialize>(report: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&serde_json::to_value(
        report,
    )?)?)
}

/// `used / available` as a percentage with one decimal (`–` when nothing is available).
pub fn percent(used: u64, available: u64) -> String {
    if available == 0 {
        "–".into()
    } else {
        format!("{:.1} %", 100.0 * used as f64 / available as f64)
    }
}

/// A number with `digits` decimals, or `–` when absent.
pub fn num(v: Option<f64>, digits: usize) -> String {
    v.filter(|x| x.is_finite())
        .map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "–".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_numbers_right_and_escape_pipes() {
        let mut t = Table::new(&["name", "n"]);
        t.row(["a|b", "12"]).row(["c", "3.5 %"]);
        let md = t.to_markdown();
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines[0], "| name |     n |");
        assert_eq!(lines[1], "| ---- | ----: |");
        assert_eq!(lines[2], "| a\\|b |    12 |");
        assert_eq!(lines[3], "| c    | 3.5 % |");
        assert_eq!(percent(1, 4), "25.0 %");
        assert_eq!(percent(1, 0), "–");
        assert_eq!(num(None, 1), "–");
    }
}
