//! `dataset_meta.json`: label and mask categories in a side file at the
//! dataset root ([spec §9]).
//!
//! datumaro's `datumaro`/`datumaro_binary` importers ignore this file and
//! their exporters never write it; we read it when the categories header is
//! empty (so datasets labelled by other tools keep their labels) and write it
//! on request. That is a deliberate, documented difference.
//!
//! [spec §9]: ../../../docs/specs/datumaro-binary.md

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::model::{Categories, LabelCategories, MaskCategories, MaskColor};
use crate::{Error, Result};

/// The file name.
pub const DATASET_META_FILE: &str = "dataset_meta.json";

/// Reads `<root>/dataset_meta.json` if it exists.
pub fn read_dataset_meta(root: &Path) -> Result<Option<Categories>> {
    let path = root.join(DATASET_META_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let bad = |reason: String| Error::BadDocument {
        file: path.clone(),
        reason,
    };
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    let m = v
        .as_object()
        .ok_or_else(|| bad("not a JSON object".into()))?;
    let mut cats = Categories::default();
    // Labels: `labels` (a list of names), else the values of `label_map`.
    let names: Vec<String> = if let Some(Value::Array(a)) = m.get("labels") {
        a.iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad("labels[] is not a string".into()))
            })
            .collect::<Result<_>>()?
    } else if let Some(Value::Object(lm)) = m.get("label_map") {
        let mut pairs: Vec<(u64, String)> = lm
            .iter()
            .map(|(k, v)| {
                let i = k
                    .parse::<u64>()
                    .map_err(|_| bad(format!("label_map key {k:?} is not an index")))?;
                let n = v
                    .as_str()
                    .ok_or_else(|| bad("label_map value is not a string".into()))?;
                Ok((i, n.to_owned()))
            })
            .collect::<Result<_>>()?;
        pairs.sort();
        pairs.into_iter().map(|p| p.1).collect()
    } else {
        Vec::new()
    };
    if !names.is_empty() {
        cats.label = Some(LabelCategories::from_names(names));
    }
    if let Some(Value::Array(colors)) = m.get("segmentation_colors") {
        let mut mc = MaskCategories::default();
        for (i, c) in colors.iter().enumerate() {
            let rgb: Vec<u8> = c
                .as_array()
                .filter(|a| a.len() == 3)
                .and_then(|a| {
                    a.iter()
                        .map(|x| x.as_u64().and_then(|v| u8::try_from(v).ok()))
                        .collect()
                })
                .ok_or_else(|| bad(format!("segmentation_colors[{i}] is not [r, g, b]")))?;
            let mut arr = [0u8; 3];
            arr.copy_from_slice(&rgb);
            mc.colormap.push(MaskColor {
                label_id: i as i64,
                rgb: arr,
            });
        }
        cats.mask = Some(mc);
    }
    Ok(Some(cats))
}

/// The `dataset_meta.json` document for `cats` (as datumaro's other
/// exporters write it), or `None` without label categories.
pub fn dataset_meta_json(cats: &Categories) -> Option<Value> {
    let labels = cats.label.as_ref()?;
    let mut m = Map::new();
    let names: Vec<&str> = labels.labels.iter().map(|l| l.name.as_str()).collect();
    m.insert("labels".into(), json!(names));
    if let Some(mask) = &cats.mask {
        let mut label_map = Map::new();
        for (i, n) in names.iter().enumerate() {
            label_map.insert(i.to_string(), json!(n));
        }
        m.insert("label_map".into(), Value::Object(label_map));
        let colors: Vec<[u8; 3]> = mask.colormap.iter().map(|c| c.rgb).collect();
        m.insert("segmentation_colors".into(), json!(colors));
        if let Some(bg) = mask.colormap.iter().find(|c| c.rgb == [0, 0, 0]) {
            m.insert("background_label".into(), json!(bg.label_id.to_string()));
        }
    }
    Some(Value::Object(m))
}

/// Writes `<root>/dataset_meta.json` (indented, as datumaro writes it) when
/// there are label categories; returns whether it wrote.
pub fn write_dataset_meta(root: &Path, cats: &Categories) -> Result<bool> {
    let Some(doc) = dataset_meta_json(cats) else {
        return Ok(false);
    };
    let text = serde_json::to_vec_pretty(&doc).map_err(|e| Error::Unsupported(e.to_string()))?;
    vellum_format_core::write_atomic(root.join(DATASET_META_FILE), &text)?;
    Ok(true)
}
