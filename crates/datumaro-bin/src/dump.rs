//! The whole dataset as one JSON document, with the fields and names of the
//! reference fixtures' `expected.json` (what `vellum datumaro dump` prints).

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::model::{Annotation, AnnotationKind, Dataset, Image, Item, Media, MediaType};

/// The media path relative to the dataset root: `<media dir>/<subset>/<stored>`
/// for relative stored paths, the absolute path made relative to `root`
/// when it lies below it, else the absolute path.
fn media_path(root: Option<&Path>, kind: MediaType, subset: &str, stored: &str) -> String {
    let p = Path::new(stored);
    if p.is_absolute() {
        match root.and_then(|r| p.strip_prefix(r).ok()) {
            Some(rel) => rel.to_string_lossy().replace('\\', "/"),
            None => stored.to_owned(),
        }
    } else {
        format!("{}/{subset}/{stored}", kind.media_dir())
    }
}

fn image_json(root: Option<&Path>, img: &Image, subset: &str) -> Value {
    json!({
        "kind": "image",
        "path": media_path(root, MediaType::Image, subset, &img.path),
        "size": img.size.map(|(h, w)| json!([h, w])),
    })
}

/// The media of an item: `kind`, `path` (relative to the dataset root when
/// stored relative), type-specific fields and `stored_path`.
pub fn media_json(root: Option<&Path>, media: Option<&Media>, subset: &str) -> Value {
    let Some(m) = media else {
        return Value::Null;
    };
    let path = media_path(root, m.media_type(), subset, m.path());
    let mut v = match m {
        Media::Image(img) => image_json(root, img, subset),
        Media::MediaElement { .. } => json!({"kind": "media", "path": path}),
        Media::VideoFrame { index, .. } => {
            json!({"kind": "video_frame", "path": path, "index": index})
        }
        Media::Video {
            step,
            start_frame,
            end_frame,
            ..
        } => {
            json!({"kind": "video", "path": path, "step": step, "start_frame": start_frame, "end_frame": end_frame})
        }
        Media::PointCloud { extra_images, .. } => {
            let extra: Vec<Value> = extra_images
                .iter()
                .map(|i| image_json(root, i, subset))
                .collect();
            json!({"kind": "point_cloud", "path": path, "extra_images": extra})
        }
    };
    if let Value::Object(o) = &mut v {
        o.insert("stored_path".into(), json!(m.path()));
    }
    v
}

fn f32s(v: &[f32]) -> Value {
    json!(v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>())
}

/// One annotation.
pub fn annotation_json(a: &Annotation) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(a.kind.name()));
    m.insert("id".into(), json!(a.id));
    m.insert("group".into(), json!(a.group));
    m.insert("object_id".into(), json!(a.object_id));
    m.insert("attributes".into(), a.attributes.clone().into());
    if let Some(l) = a.kind.label() {
        m.insert("label".into(), json!(l));
    }
    if let Some(z) = a.kind.z_order() {
        m.insert("z_order".into(), json!(z));
    }
    match &a.kind {
        AnnotationKind::Label { .. } => {}
        AnnotationKind::Mask { rle, .. } => {
            m.insert(
                "rle".into(),
                json!({"size": [rle.height(), rle.width()], "counts": rle.counts()}),
            );
            m.insert("area".into(), json!(rle.area()));
        }
        AnnotationKind::Points {
            points, visibility, ..
        } => {
            m.insert("points".into(), f32s(points));
            let vis: Vec<i32> = visibility.iter().map(|v| v.code()).collect();
            m.insert("visibility".into(), json!(vis));
        }
        AnnotationKind::Polygon { points, .. } | AnnotationKind::Polyline { points, .. } => {
            m.insert("points".into(), f32s(points));
        }
        AnnotationKind::Bbox { corners, .. } => {
            m.insert("points".into(), f32s(corners));
            m.insert("bbox_xywh".into(), json!(a.kind.bbox_xywh()));
        }
        AnnotationKind::Ellipse { corners, .. } => {
            m.insert("points".into(), f32s(corners));
        }
        AnnotationKind::Caption { caption } => {
            m.insert("caption".into(), json!(caption));
        }
        AnnotationKind::Cuboid3d {
            position,
            rotation,
            scale,
            ..
        } => {
            m.insert("position".into(), json!(position));
            m.insert("rotation".into(), json!(rotation));
            m.insert("scale".into(), json!(scale));
        }
        AnnotationKind::Cuboid2d { points, .. } => {
            let p: Vec<[f64; 2]> = points
                .iter()
                .map(|p| [f64::from(p[0]), f64::from(p[1])])
                .collect();
            m.insert("points".into(), json!(p));
        }
    }
    Value::Object(m)
}

/// One item; `root` is the dataset folder media paths are shown relative to.
pub fn item_json(root: Option<&Path>, item: &Item) -> Value {
    json!({
        "id": item.id,
        "subset": item.subset,
        "media": media_json(root, item.media.as_ref(), &item.subset),
        "attributes": item.attributes,
        "annotations": item.annotations.iter().map(annotation_json).collect::<Vec<_>>(),
    })
}

/// The whole dataset: `infos`, `categories`, `media_type`, `subsets` →
/// `items` in file order.
pub fn dataset_json(ds: &Dataset) -> Value {
    let mut subsets = Map::new();
    for s in &ds.subsets {
        let items: Vec<Value> = s
            .items
            .iter()
            .map(|i| item_json(ds.media_root.as_deref(), i))
            .collect();
        subsets.insert(s.name.clone(), json!({ "items": items }));
    }
    json!({
        "infos": ds.infos,
        "categories": ds.categories.to_json(),
        "media_type": ds.media_type.code(),
        "subsets": subsets,
    })
}
