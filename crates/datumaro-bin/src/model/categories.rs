//! Categories: labels (with parents, groups and attributes), the mask
//! colormap and keypoint skeletons ([spec §8.3]).
//!
//! The JSON form is the same in the DatumaroBinary categories header and in
//! Datumaro JSON; [`Categories::to_json`] builds it in datumaro's key order so
//! the orjson writer reproduces datumaro's bytes.
//!
//! [spec §8.3]: ../../../../docs/specs/datumaro-binary.md

use serde_json::{Map, Value, json};

use crate::{Error, Result};

/// One label.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Label {
    /// Name (unique within the dataset).
    pub name: String,
    /// Parent label name, `""` when none.
    pub parent: String,
    /// Attribute names this label may carry.
    pub attributes: Vec<String>,
}

/// How the labels of a [`LabelGroup`] combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupType {
    /// At most one label of the group.
    Exclusive,
    /// Any number of labels.
    Inclusive,
    /// Restricted.
    Restricted,
}

impl GroupType {
    /// The name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            GroupType::Exclusive => "exclusive",
            GroupType::Inclusive => "inclusive",
            GroupType::Restricted => "restricted",
        }
    }
}

/// A named group of labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelGroup {
    /// Group name.
    pub name: String,
    /// How its labels combine.
    pub group_type: GroupType,
    /// Label names.
    pub labels: Vec<String>,
}

/// The label categories.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelCategories {
    /// Labels; annotations refer to them by index.
    pub labels: Vec<Label>,
    /// Label groups.
    pub label_groups: Vec<LabelGroup>,
    /// Dataset-wide attribute names.
    pub attributes: Vec<String>,
}

impl LabelCategories {
    /// Label categories of plain names.
    pub fn from_names<S: Into<String>>(names: impl IntoIterator<Item = S>) -> LabelCategories {
        LabelCategories {
            labels: names
                .into_iter()
                .map(|n| Label {
                    name: n.into(),
                    ..Label::default()
                })
                .collect(),
            ..LabelCategories::default()
        }
    }

    /// Index of the label named `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.labels.iter().position(|l| l.name == name)
    }
}

/// One colormap entry of the mask categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaskColor {
    /// Label index.
    pub label_id: i64,
    /// Colour `[r, g, b]`.
    pub rgb: [u8; 3],
}

/// The mask categories: a colour per label.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MaskCategories {
    /// Entries in insertion order.
    pub colormap: Vec<MaskColor>,
}

/// A keypoint skeleton for one label.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PointsCategory {
    /// Label index.
    pub label_id: i64,
    /// Point names.
    pub labels: Vec<String>,
    /// Edges between points (a set in datumaro; kept in file order here).
    pub joints: Vec<[i64; 2]>,
    /// Default positions, normalised to [0, 1].
    pub positions: Vec<f64>,
}

/// The points categories.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PointsCategories {
    /// One skeleton per label.
    pub items: Vec<PointsCategory>,
}

/// All categories of a dataset. Absent kinds are `None`; present kinds are
/// written in the order label, mask, points (datumaro's insertion order).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Categories {
    /// Label categories.
    pub label: Option<LabelCategories>,
    /// Mask categories.
    pub mask: Option<MaskCategories>,
    /// Points categories.
    pub points: Option<PointsCategories>,
}

impl Categories {
    /// `true` when no kind is present.
    pub fn is_empty(&self) -> bool {
        self.label.is_none() && self.mask.is_none() && self.points.is_none()
    }

    /// The label names, empty when there are no label categories.
    pub fn label_names(&self) -> Vec<&str> {
        self.label
            .as_ref()
            .map(|l| l.labels.iter().map(|l| l.name.as_str()).collect())
            .unwrap_or_default()
    }

    /// The JSON object datumaro writes (`{}` when empty). Attribute name
    /// lists are sorted and de-duplicated, as datumaro does on export.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(l) = &self.label {
            let labels: Vec<Value> = l
                .labels
                .iter()
                .map(|x| json!({"name": x.name, "parent": x.parent, "attributes": sorted(&x.attributes)}))
                .collect();
            let groups: Vec<Value> = l
                .label_groups
                .iter()
                .map(|g| json!({"name": g.name, "group_type": g.group_type.name(), "labels": sorted(&g.labels)}))
                .collect();
            m.insert(
                "label".into(),
                json!({"labels": labels, "label_groups": groups, "attributes": sorted(&l.attributes)}),
            );
        }
        if let Some(mc) = &self.mask {
            let cm: Vec<Value> = mc
                .colormap
                .iter()
                .map(|c| json!({"label_id": c.label_id, "r": c.rgb[0], "g": c.rgb[1], "b": c.rgb[2]}))
                .collect();
            m.insert("mask".into(), json!({ "colormap": cm }));
        }
        if let Some(p) = &self.points {
            let items: Vec<Value> = p
                .items
                .iter()
                .map(|c| {
                    json!({"label_id": c.label_id, "labels": c.labels, "joints": c.joints, "positions": c.positions})
                })
                .collect();
            m.insert("points".into(), json!({ "items": items }));
        }
        Value::Object(m)
    }

    /// Parses the categories object (binary header or Datumaro JSON).
    /// Unknown kinds are ignored, as datumaro ignores them.
    pub fn from_json(v: &Map<String, Value>) -> Result<Categories> {
        let mut c = Categories::default();
        if let Some(l) = v.get("label") {
            let l = obj(l, "categories.label")?;
            let mut lc = LabelCategories::default();
            for x in arr(l.get("labels"), "categories.label.labels")? {
                let x = obj(x, "categories.label.labels[]")?;
                lc.labels.push(Label {
                    name: string(x.get("name"), "label name")?,
                    parent: opt_string(x.get("parent"), "label parent")?,
                    attributes: strings(x.get("attributes"), "label attributes")?,
                });
            }
            for g in arr(l.get("label_groups"), "categories.label.label_groups")? {
                let g = obj(g, "categories.label.label_groups[]")?;
                let gt = match g.get("group_type").and_then(Value::as_str) {
                    Some("exclusive") | None => GroupType::Exclusive,
                    Some("inclusive") => GroupType::Inclusive,
                    Some("restricted") => GroupType::Restricted,
                    Some(other) => {
                        return Err(Error::BadCategories(format!(
                            "unknown label group type {other:?}"
                        )));
                    }
                };
                lc.label_groups.push(LabelGroup {
                    name: string(g.get("name"), "label group name")?,
                    group_type: gt,
                    labels: strings(g.get("labels"), "label group labels")?,
                });
            }
            lc.attributes = strings(l.get("attributes"), "categories.label.attributes")?;
            c.label = Some(lc);
        }
        if let Some(mk) = v.get("mask") {
            let mk = obj(mk, "categories.mask")?;
            let mut mc = MaskCategories::default();
            for e in arr(mk.get("colormap"), "categories.mask.colormap")? {
                let e = obj(e, "colormap entry")?;
                let ch = |k: &str| -> Result<u8> {
                    e.get(k)
                        .and_then(Value::as_u64)
                        .and_then(|v| u8::try_from(v).ok())
                        .ok_or_else(|| Error::BadCategories(format!("colormap {k} is not 0..255")))
                };
                mc.colormap.push(MaskColor {
                    label_id: int(e.get("label_id"), "colormap label_id")?,
                    rgb: [ch("r")?, ch("g")?, ch("b")?],
                });
            }
            c.mask = Some(mc);
        }
        if let Some(p) = v.get("points") {
            let p = obj(p, "categories.points")?;
            let mut pc = PointsCategories::default();
            for e in arr(p.get("items"), "categories.points.items")? {
                let e = obj(e, "points category")?;
                let mut joints = Vec::new();
                for j in arr(e.get("joints"), "points joints")? {
                    let j = j.as_array().filter(|j| j.len() == 2).ok_or_else(|| {
                        Error::BadCategories("a joint is not a pair of indexes".into())
                    })?;
                    let a = int(j.first(), "joint")?;
                    let b = int(j.get(1), "joint")?;
                    joints.push([a, b]);
                }
                let mut positions = Vec::new();
                for x in arr(e.get("positions"), "points positions")? {
                    positions.push(x.as_f64().ok_or_else(|| {
                        Error::BadCategories("a points position is not a number".into())
                    })?);
                }
                pc.items.push(PointsCategory {
                    label_id: int(e.get("label_id"), "points label_id")?,
                    labels: strings(e.get("labels"), "points labels")?,
                    joints,
                    positions,
                });
            }
            c.points = Some(pc);
        }
        Ok(c)
    }
}

fn sorted(v: &[String]) -> Vec<&str> {
    let mut s: Vec<&str> = v.iter().map(String::as_str).collect();
    s.sort_unstable();
    s.dedup();
    s
}

fn obj<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| Error::BadCategories(format!("{what} is not an object")))
}

fn arr<'a>(v: Option<&'a Value>, what: &str) -> Result<&'a [Value]> {
    match v {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(Error::BadCategories(format!("{what} is not a list"))),
    }
}

fn string(v: Option<&Value>, what: &str) -> Result<String> {
    v.and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::BadCategories(format!("{what} is not a string")))
}

fn opt_string(v: Option<&Value>, what: &str) -> Result<String> {
    match v {
        None | Some(Value::Null) => Ok(String::new()),
        v => string(v, what),
    }
}

fn strings(v: Option<&Value>, what: &str) -> Result<Vec<String>> {
    arr(v, what)?
        .iter()
        .map(|s| string(Some(s), what))
        .collect()
}

fn int(v: Option<&Value>, what: &str) -> Result<i64> {
    v.and_then(Value::as_i64)
        .ok_or_else(|| Error::BadCategories(format!("{what} is not an integer")))
}
