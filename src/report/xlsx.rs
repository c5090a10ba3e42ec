//! `results.xlsx`: the main tables of a run as one Excel workbook, for planners who work in a
//! spreadsheet.
//!
//! The workbook is made from the CSV files just written, so its numbers are the CSVs' numbers
//! (no second formatting path to drift). Each sheet has the CSV's column names in a bold first
//! row, their units in a second row, both frozen with the label columns, numbers stored as
//! numbers with a format by unit (shares as percentages), and widths fitted to the contents. The
//! summary is turned on its side: a row per figure, with mean, 95% CI and each replication in
//! columns. The document's creation date is fixed, so a rerun writes the same bytes.
//!
//! The tables are written row by row through a file in the run directory ("low memory" sheets),
//! not held as cells in memory: a city's sites and staff sheets are millions of cells, and
//! holding them took more memory than the run's simulation freed (issue 10).

use std::path::Path;

use csv::StringRecord;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatBorder, Workbook, Worksheet};

/// The file name in a run directory.
pub const FILE: &str = "results.xlsx";

/// The workbook's zip compression level (1 fastest to 9 smallest).
const ZIP_LEVEL: u8 = 3;

/// Sheets, from the CSV files of the same name, with how many label columns each starts with.
const SHEETS: [(&str, u16); 7] = [
    ("sites", 2),
    ("rounds", 2),
    ("staff", 5),
    ("progress", 3),
    ("targets", 3),
    ("disruptions", 3),
    ("labs", 4),
];

/// Columns of names and labels: always text, even a name that reads as a number.
const TEXT_COLUMNS: [&str; 13] = [
    "site",
    "team",
    "role",
    "rota",
    "kind",
    "clock",
    "disruption",
    "target",
    "figure",
    "at",
    "status",
    "lab",
    "area",
];

/// Rows Excel shows in a sheet.
const EXCEL_ROWS: usize = 1_048_576;

/// The unit of a column, from the naming rules of the CSVs (docs/outputs.md): `_min` minutes,
/// `_h` and `hours_to_` hours, `_share` and `coverage` shares, `_cum` running totals. Empty when
/// the name does not say (a count, a label, or a figure whose unit varies by row).
pub fn unit(column: &str) -> &'static str {
    let c = column.strip_suffix("_ci95").unwrap_or(column);
    if c.ends_with("person_min") {
        "person-minutes"
    } else if c.ends_with("_min") {
        "minutes"
    } else if c.contains("person_hours") {
        "person-hours"
    } else if c.contains("desk_hours") {
        "desk-hours"
    } else if c.contains("machine_hours") {
        "machine-hours"
    } else if c.contains("lane_hours") {
        "lane-hours"
    } else if c.ends_with("_h") || c.starts_with("hours_to_") || c == "stockout_hours" {
        "hours"
    } else if c.ends_with("_share")
        || c.starts_with("coverage")
        || c.ends_with("utilisation")
        || c == "cumulative_share"
    {
        "share"
    } else if c.ends_with("_cum") {
        "running total"
    } else if c == "person_shifts_absent" || c == "absent_person_shifts" {
        "person-shifts"
    } else {
        ""
    }
}

struct Formats {
    header: Format,
    unit: Format,
    share: Format,
    decimal: Format,
    whole: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new()
                .set_bold()
                .set_border_bottom(FormatBorder::Thin),
            unit: Format::new().set_italic().set_font_color(0x595959),
            share: Format::new().set_num_format("0.0%"),
            decimal: Format::new().set_num_format("#,##0.00"),
            whole: Format::new().set_num_format("#,##0"),
        }
    }

    /// The format of the numbers of a column of this unit whose values are `texts`: shares as
    /// percentages, whole numbers with thousands separators, others with two decimals.
    fn column<'a>(&self, unit: &str, texts: impl Iterator<Item = &'a str>) -> Format {
        if unit == "share" {
            return self.share.clone();
        }
        let mut numbers = texts.filter_map(|t| t.parse::<f64>().ok()).peekable();
        let whole = numbers.peek().is_some() && numbers.all(|x| x.fract() == 0.0 && x.abs() < 1e15);
        if whole && !unit.contains("hours") && !unit.contains("minutes") {
            self.whole.clone()
        } else {
            self.decimal.clone()
        }
    }
}

/// Whether the workbook is made from the file `name` of a run directory (it must be written
/// first).
pub fn reads(name: &str) -> bool {
    name == "summary.csv"
        || name
            .strip_suffix(".csv")
            .is_some_and(|stem| SHEETS.iter().any(|&(sheet, _)| sheet == stem))
}

/// Writes `results.xlsx` in `dir` from the CSV files there; returns its name.
pub fn write(dir: &Path) -> std::io::Result<String> {
    let mut book = Workbook::new();
    book.set_tempdir(dir).map_err(io)?;
    // Excel's own level (rust_xlsxwriter's performance notes), not the zip crate's 6: on a
    // 25.7-million city's workbook, 13% fewer instructions in all for a file 20% larger
    // (docs/performance.md).
    book.set_zip_compression_level(ZIP_LEVEL);
    let fixed = ExcelDateTime::from_ymd(2022, 11, 2).map_err(std::io::Error::other)?;
    book.set_properties(
        &DocProperties::new()
            .set_title("swabsim results")
            .set_comment("Written by swabsim from the CSV files of this run directory")
            .set_creation_datetime(&fixed),
    );
    let f = Formats::new();
    let summary = read(&dir.join("summary.csv"))?;
    if let Some(rows) = summary {
        summary_sheet(book.add_worksheet(), &rows, &f)?;
    }
    for (name, labels) in SHEETS {
        let Some(rows) = read(&dir.join(format!("{name}.csv")))? else {
            continue;
        };
        let sheet = book.add_worksheet_with_low_memory().map_err(io)?;
        sheet.set_name(name).map_err(std::io::Error::other)?;
        table_sheet(sheet, &rows, labels, name, &f)?;
    }
    book.save(dir.join(FILE)).map_err(std::io::Error::other)?;
    Ok(FILE.to_string())
}

/// The rows of a CSV file, or `None` when the run wrote no such file. A row is one record (one
/// block of text), not a string per cell: a city's sites and staff tables are millions of cells.
fn read(path: &Path) -> std::io::Result<Option<Vec<StringRecord>>> {
    if !path.exists() {
        return Ok(None);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .map_err(std::io::Error::other)?;
    let rows = reader
        .records()
        .collect::<Result<Vec<StringRecord>, _>>()
        .map_err(std::io::Error::other)?;
    Ok(Some(rows))
}

fn io(e: rust_xlsxwriter::XlsxError) -> std::io::Error {
    std::io::Error::other(e)
}

/// How a cell's number is formatted.
#[derive(Clone, Copy)]
enum Numbers<'a> {
    /// Not at all: the column holds names and labels, written as text (a site named `-5` stays
    /// a name).
    Label,
    /// In this format.
    Format(&'a Format),
    /// In the format the column was given (`set_column_format`): looked up once per column,
    /// where a format given with each cell is hashed for each cell (in a city's sites and staff
    /// sheets that was most of the time the workbook took).
    Column,
}

/// What a cell of the CSV shows in the workbook.
enum Shown<'a> {
    Empty,
    Number(f64),
    Text(&'a str),
}

impl Shown<'_> {
    /// A number as a number (unless the column holds labels); anything else, and every label,
    /// as text. A workbook's text cell is never a formula, so the `'` the CSV puts before a name
    /// starting with `=`, `+`, `-` or `@` is dropped here.
    fn of<'a>(text: &'a str, numbers: Numbers) -> Shown<'a> {
        if text.is_empty() {
            return Shown::Empty;
        }
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() && !matches!(numbers, Numbers::Label) => Shown::Number(x),
            _ => Shown::Text(match text.strip_prefix('\'') {
                Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
                _ => text,
            }),
        }
    }

    /// The width in pixels the cell of CSV text `text` asks of its column (0 for an empty cell).
    /// A number's is its CSV text's: for every number swabsim writes (trailing zeros trimmed)
    /// that is as long as the number's shortest form, which formatting each number again took
    /// a tenth of a city's workbook to find.
    fn width(&self, text: &str) -> u32 {
        match self {
            Shown::Empty => 0,
            Shown::Number(_) => text_width(text),
            Shown::Text(t) => text_width(t),
        }
    }
}

/// Writes a cell as [`Shown::of`] reads it.
fn cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    numbers: Numbers,
) -> std::io::Result<()> {
    match (Shown::of(text, numbers), numbers) {
        (Shown::Empty, _) => Ok(()),
        (Shown::Number(x), Numbers::Format(format)) => sheet
            .write_number_with_format(row, col, x, format)
            .map(drop)
            .map_err(io),
        (Shown::Number(x), _) => sheet.write_number(row, col, x).map(drop).map_err(io),
        (Shown::Text(t), _) => sheet.write_string(row, col, t).map(drop).map_err(io),
    }
}

/// Widest column a fitted width gives, in pixels (about 33 characters).
const MAX_WIDTH: u32 = 240;

/// The pixels a text takes in the default font, with the cell's padding: 7 a character (the
/// average of Calibri 11, as Excel's own autofit counts digits).
fn text_width(text: &str) -> u32 {
    7 * text.chars().count() as u32 + 7
}

/// A table as the CSV has it: names, units, then the rows.
fn table_sheet(
    sheet: &mut Worksheet,
    rows: &[StringRecord],
    labels: u16,
    name: &str,
    f: &Formats,
) -> std::io::Result<()> {
    let Some((header, body)) = rows.split_first() else {
        return Ok(());
    };
    let units: Vec<&str> = header.iter().map(unit).collect();
    let formats: Vec<Format> = (0..header.len())
        .map(|c| f.column(units[c], body.iter().filter_map(|r| r.get(c))))
        .collect();
    let numbers: Vec<Numbers> = header
        .iter()
        .map(|h| {
            if TEXT_COLUMNS.contains(&h) {
                Numbers::Label
            } else {
                Numbers::Column
            }
        })
        .collect();
    // Widths fitted to the contents, set before the formats: a column's format given first
    // fixes its width at the default, which a fitted width then only widens.
    let room = EXCEL_ROWS - 3;
    let mut widths: Vec<u32> = header
        .iter()
        .zip(&units)
        .map(|(h, u)| text_width(h).max(text_width(u)))
        .collect();
    for row in body.iter().take(room) {
        for ((w, text), &numbers) in widths.iter_mut().zip(row).zip(&numbers) {
            *w = (*w).max(Shown::of(text, numbers).width(text));
        }
    }
    for (c, w) in widths.into_iter().enumerate() {
        sheet
            .set_column_autofit_width(c as u16, w.min(MAX_WIDTH))
            .map_err(io)?;
    }
    for (c, (format, numbers)) in formats.iter().zip(&numbers).enumerate() {
        if matches!(numbers, Numbers::Column) {
            sheet.set_column_format(c as u16, format).map_err(io)?;
        }
    }
    for (c, h) in header.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, h, &f.header)
            .map_err(io)?;
    }
    for (c, u) in units.iter().enumerate() {
        sheet
            .write_string_with_format(1, c as u16, *u, &f.unit)
            .map_err(io)?;
    }
    // Row by row, in order (the sheet keeps only the current row).
    for (r, row) in body.iter().take(room).enumerate() {
        for (c, text) in row.iter().enumerate() {
            let numbers = numbers.get(c).copied().unwrap_or(Numbers::Label);
            cell(sheet, r as u32 + 2, c as u16, text, numbers)?;
        }
    }
    if body.len() > room {
        sheet
            .write_string(
                EXCEL_ROWS as u32 - 1,
                0,
                format!(
                    "{} more rows than Excel shows: every row is in {name}.csv",
                    body.len() - room
                ),
            )
            .map_err(io)?;
    }
    sheet
        .set_freeze_panes(2, labels.min(header.len() as u16))
        .map_err(io)?;
    Ok(())
}

/// The summary on its side: a row per figure with its unit, the mean and its 95% CI (with more
/// than one replication), then each replication.
fn summary_sheet(sheet: &mut Worksheet, rows: &[StringRecord], f: &Formats) -> std::io::Result<()> {
    sheet.set_name("summary").map_err(io)?;
    let Some((header, body)) = rows.split_first() else {
        return Ok(());
    };
    let reps: Vec<&StringRecord> = body.iter().filter(|r| &r[0] != "mean").collect();
    let mean = body.iter().find(|r| &r[0] == "mean");
    let figures: Vec<(usize, &str)> = header
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, h)| !h.ends_with("_ci95"))
        .collect();
    let mut top = vec!["figure".to_string(), "unit".to_string()];
    if mean.is_some() {
        top.extend(["mean".to_string(), "± 95% CI".to_string()]);
    }
    top.extend(reps.iter().map(|r| format!("replication {}", &r[0])));
    for (c, h) in top.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, h, &f.header)
            .map_err(io)?;
    }
    for (r, (col, name)) in figures.iter().enumerate() {
        let row = r as u32 + 1;
        let u = unit(name);
        sheet.write_string(row, 0, *name).map_err(io)?;
        sheet
            .write_string_with_format(row, 1, u, &f.unit)
            .map_err(io)?;
        // The mean of whole numbers is not whole: one format for the row from every value.
        let ci_name = format!("{name}_ci95");
        let ci = header.iter().position(|h| h == ci_name);
        let values = reps
            .iter()
            .map(|r| &r[*col])
            .chain(mean.map(|m| &m[*col]))
            .chain(mean.zip(ci).map(|(m, ci)| &m[ci]));
        let format = f.column(u, values);
        let mut c = 2;
        if let Some(m) = mean {
            cell(sheet, row, c, &m[*col], Numbers::Format(&format))?;
            if let Some(ci) = ci {
                cell(sheet, row, c + 1, &m[ci], Numbers::Format(&format))?;
            }
            c += 2;
        }
        for rep in &reps {
            cell(sheet, row, c, &rep[*col], Numbers::Format(&format))?;
            c += 1;
        }
    }
    sheet.set_freeze_panes(1, 1).map_err(io)?;
    sheet.set_autofit_max_width(MAX_WIDTH);
    sheet.autofit();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{SHEETS, reads, unit};

    /// The workbook waits for the files it reads, and only for them: not for the time series,
    /// the charts' page or the traces, which are written beside it.
    #[test]
    fn the_workbook_waits_for_the_tables_it_shows() {
        assert!(reads("summary.csv"));
        for (sheet, _) in SHEETS {
            assert!(reads(&format!("{sheet}.csv")), "{sheet}");
        }
        for other in [
            "timeseries.csv",
            "distributions.csv",
            "index.html",
            "trace.csv",
            "tubes.csv",
            "sites",
        ] {
            assert!(!reads(other), "{other}");
        }
    }

    #[test]
    fn units_follow_the_column_names() {
        assert_eq!(unit("wait_p95_min"), "minutes");
        assert_eq!(unit("wait_p95_min_ci95"), "minutes");
        assert_eq!(unit("queue_person_min"), "person-minutes");
        assert_eq!(unit("hours_to_95pct"), "hours");
        assert_eq!(unit("turnaround_mean_h"), "hours");
        assert_eq!(unit("coverage_at_deadline"), "share");
        assert_eq!(unit("desk_utilisation"), "share");
        assert_eq!(unit("staff_person_hours"), "person-hours");
        assert_eq!(unit("desk_hours_open"), "desk-hours");
        assert_eq!(unit("tested_cum"), "running total");
        assert_eq!(unit("tested"), "");
    }
}
