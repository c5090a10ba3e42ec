//! Fonts for PNG text. The shipped DejaVu Sans has no Chinese glyphs; when a name the charts
//! draw needs glyphs it lacks, a system font that has them all is looked up (with `fontdb`,
//! which reads the usual font folders without fontconfig) and used. SVG and HTML text is drawn
//! by the browser with its own fonts, so this matters only for PNG.

use ab_glyph::{Font, FontRef};

/// The font PNG text uses unless another is chosen.
pub const SHIPPED: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The characters of `texts` that the font `bytes` has no glyph for, in order of first
/// appearance, without repeats; spaces and control characters are ignored.
pub fn missing_glyphs<'a>(bytes: &[u8], texts: impl IntoIterator<Item = &'a str>) -> Vec<char> {
    let Ok(font) = FontRef::try_from_slice(bytes) else {
        return Vec::new();
    };
    let mut out: Vec<char> = Vec::new();
    for text in texts {
        for c in text.chars() {
            if !c.is_whitespace() && !c.is_control() && font.glyph_id(c).0 == 0 && !out.contains(&c)
            {
                out.push(c);
            }
        }
    }
    out
}

/// A system font with a glyph for every character of `chars`: its family name and bytes.
/// Among several, a sans-serif regular face first, then by family and PostScript name, so the
/// choice does not depend on the order the folders are read in.
pub fn system_font_for(chars: &[char]) -> Option<(String, Vec<u8>)> {
    let mut db = fontdb::Database::new();
    db.load_system_fonts();
    let mut found: Vec<(bool, bool, String, String, fontdb::ID)> = Vec::new();
    // A face inside a collection (.ttc) past the first cannot be handed to plotters, which
    // reads a file's first face.
    for face in db.faces().filter(|f| f.index == 0) {
        let covers = db
            .with_face_data(face.id, |data, index| {
                FontRef::try_from_slice_and_index(data, index)
                    .is_ok_and(|f| chars.iter().all(|&c| f.glyph_id(c).0 != 0))
            })
            .unwrap_or(false);
        if covers {
            let family = face
                .families
                .first()
                .map_or_else(|| face.post_script_name.clone(), |f| f.0.clone());
            let sans = family.contains("Sans") || family.contains("Hei");
            let regular =
                face.style == fontdb::Style::Normal && face.weight == fontdb::Weight::NORMAL;
            found.push((
                !sans,
                !regular,
                family,
                face.post_script_name.clone(),
                face.id,
            ));
        }
    }
    found.sort_by(|a, b| (a.0, a.1, &a.2, &a.3).cmp(&(b.0, b.1, &b.2, &b.3)));
    let (_, _, family, _, id) = found.into_iter().next()?;
    let bytes = db.with_face_data(id, |data, _| data.to_vec())?;
    Some((family, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_font_lacks_chinese_but_has_latin() {
        assert_eq!(
            missing_glyphs(SHIPPED, ["point-1", "东门 point", "东"]),
            vec!['东', '门']
        );
        assert!(missing_glyphs(SHIPPED, ["Ünïcödé — sites"]).is_empty());
    }
}
