//! Attributes of items, annotations and datasets: a JSON object whose
//! copies share one map until one of them changes.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Attributes of an item or annotation (and a dataset's infos): a JSON
/// object, keys in insertion order, as datumaro's Python dicts.
///
/// It reads as a [`serde_json::Map`] (through `Deref`) and changes as one
/// (through `DerefMut`). Clones share the map: most annotations of a
/// dataset carry the same few dicts (COCO's `{"is_crowd": false}` on every
/// one), and the readers hand out one map for them all instead of a copy
/// each. A change through a shared clone copies the map first (copy on
/// write), so no other clone sees it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Attributes(Arc<Map<String, Value>>);

impl Attributes {
    /// No attributes.
    pub fn new() -> Attributes {
        Attributes::default()
    }

    /// No attributes yet, room for `n`.
    pub fn with_capacity(n: usize) -> Attributes {
        Attributes::from(Map::with_capacity(n))
    }

    /// `{"is_crowd": crowd}`, what COCO gives every annotation: one map
    /// per thread, shared by every annotation that carries it.
    pub(crate) fn is_crowd(crowd: bool) -> Attributes {
        thread_local! {
            static CROWD: [Attributes; 2] = [false, true]
                .map(|c| [("is_crowd".to_owned(), Value::Bool(c))].into_iter().collect());
        }
        CROWD.with(|m| m[usize::from(crowd)].clone())
    }

    /// The map, copied only when another clone still shares it.
    pub fn into_map(self) -> Map<String, Value> {
        Arc::unwrap_or_clone(self.0)
    }

    /// True when both share one map (a clone of the other, unchanged).
    pub fn shares_with(&self, other: &Attributes) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Deref for Attributes {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Map<String, Value> {
        &self.0
    }
}

impl DerefMut for Attributes {
    fn deref_mut(&mut self) -> &mut Map<String, Value> {
        Arc::make_mut(&mut self.0)
    }
}

impl From<Map<String, Value>> for Attributes {
    fn from(m: Map<String, Value>) -> Attributes {
        Attributes(Arc::new(m))
    }
}

impl From<Attributes> for Map<String, Value> {
    fn from(a: Attributes) -> Map<String, Value> {
        a.into_map()
    }
}

impl From<Attributes> for Value {
    fn from(a: Attributes) -> Value {
        Value::Object(a.into_map())
    }
}

impl FromIterator<(String, Value)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Attributes {
        Attributes::from(iter.into_iter().collect::<Map<String, Value>>())
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = (&'a String, &'a Value);
    type IntoIter = serde_json::map::Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl std::fmt::Debug for Attributes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Attributes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Attributes, D::Error> {
        Map::deserialize(d).map(Attributes::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn clones_share_until_one_changes() {
        let mut a: Attributes = [("is_crowd".to_owned(), json!(false))]
            .into_iter()
            .collect();
        let b = a.clone();
        assert!(a.shares_with(&b));
        a.insert("occluded".into(), json!(true));
        assert!(!a.shares_with(&b));
        assert_eq!(b.len(), 1, "the other clone does not see the change");
        assert_eq!(a.len(), 2);
        assert_eq!(a.keys().collect::<Vec<_>>(), ["is_crowd", "occluded"]);
        let mut c = a.clone();
        c.insert("is_crowd".into(), json!(true));
        assert_eq!(a["is_crowd"], json!(false));
        assert_eq!(
            c.keys().collect::<Vec<_>>(),
            ["is_crowd", "occluded"],
            "order kept"
        );
    }

    #[test]
    fn reads_and_writes_as_a_json_object() {
        let text = r#"{"b":1,"a":[true,null],"c":{"d":"e"}}"#;
        let a: Attributes = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&a).unwrap(), text);
        assert_eq!(format!("{a:?}"), format!("{:?}", a.clone().into_map()));
        assert_eq!(
            Value::from(a.clone()),
            serde_json::from_str::<Value>(text).unwrap()
        );
        assert!(serde_json::from_str::<Attributes>("[1]").is_err());
    }
}
