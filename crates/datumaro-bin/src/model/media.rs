//! Media of an item: what the annotations are about ([spec §4.1, §4.2]).
//!
//! [spec §4.1, §4.2]: ../../../../docs/specs/datumaro-binary.md

/// The dataset-level media type code ([spec §4.2]), also the code of each
/// media record.
///
/// [spec §4.2]: ../../../../docs/specs/datumaro-binary.md
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaType {
    /// 0: no media.
    None,
    /// 1: a generic media element (a path only).
    MediaElement,
    /// 2: an image.
    Image,
    /// 3: an in-memory image (never written to files).
    ByteImage,
    /// 4: one frame of a video.
    VideoFrame,
    /// 5: a video (or a range of it).
    Video,
    /// 6: a point cloud with related images.
    PointCloud,
    /// 7: a multi-frame image (never written to files).
    MultiframeImage,
    /// 8: a region of an image (never written to files).
    RoiImage,
    /// 9: a mosaic image (never written to files).
    MosaicImage,
    /// 10: a table row (never written to files).
    TableRow,
}

impl MediaType {
    /// The numeric code used in files.
    pub fn code(self) -> u32 {
        match self {
            MediaType::None => 0,
            MediaType::MediaElement => 1,
            MediaType::Image => 2,
            MediaType::ByteImage => 3,
            MediaType::VideoFrame => 4,
            MediaType::Video => 5,
            MediaType::PointCloud => 6,
            MediaType::MultiframeImage => 7,
            MediaType::RoiImage => 8,
            MediaType::MosaicImage => 9,
            MediaType::TableRow => 10,
        }
    }

    /// The media type of a code, if the code is known.
    pub fn from_code(code: u32) -> Option<MediaType> {
        Some(match code {
            0 => MediaType::None,
            1 => MediaType::MediaElement,
            2 => MediaType::Image,
            3 => MediaType::ByteImage,
            4 => MediaType::VideoFrame,
            5 => MediaType::Video,
            6 => MediaType::PointCloud,
            7 => MediaType::MultiframeImage,
            8 => MediaType::RoiImage,
            9 => MediaType::MosaicImage,
            10 => MediaType::TableRow,
            _ => return None,
        })
    }

    /// A short lowercase name (`image`, `video_frame`, ...).
    pub fn name(self) -> &'static str {
        match self {
            MediaType::None => "none",
            MediaType::MediaElement => "media",
            MediaType::Image => "image",
            MediaType::ByteImage => "byte_image",
            MediaType::VideoFrame => "video_frame",
            MediaType::Video => "video",
            MediaType::PointCloud => "point_cloud",
            MediaType::MultiframeImage => "multiframe_image",
            MediaType::RoiImage => "roi_image",
            MediaType::MosaicImage => "mosaic_image",
            MediaType::TableRow => "table_row",
        }
    }

    /// The folder (under the dataset root) that holds this kind of media.
    pub fn media_dir(self) -> &'static str {
        match self {
            MediaType::PointCloud => "point_clouds",
            MediaType::Video | MediaType::VideoFrame => "videos",
            _ => "images",
        }
    }
}

/// An image reference: a path and, when known, its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// The path as the dataset stores it: relative to `images/<subset>/`
    /// when the media was saved with the dataset, else the source path verbatim.
    pub path: String,
    /// `(height, width)` when known.
    pub size: Option<(u32, u32)>,
}

/// The media an item refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Media {
    /// A generic media element (code 1).
    MediaElement {
        /// The stored path.
        path: String,
    },
    /// An image (code 2).
    Image(Image),
    /// A frame of a video (code 4).
    VideoFrame {
        /// The video's stored path (relative to `videos/<subset>/` when saved).
        path: String,
        /// Frame index.
        index: u32,
    },
    /// A video or a frame range of it (code 5).
    Video {
        /// The stored path (relative to `videos/<subset>/` when saved).
        path: String,
        /// Frame step.
        step: u32,
        /// First frame.
        start_frame: u32,
        /// Last frame, `None` for "to the end".
        end_frame: Option<u32>,
    },
    /// A point cloud with its related images (code 6).
    PointCloud {
        /// The stored path (relative to `point_clouds/<subset>/` when saved).
        path: String,
        /// The related ("extra") images, stored relative to `images/<subset>/`.
        extra_images: Vec<Image>,
    },
}

impl Media {
    /// The media type of this record.
    pub fn media_type(&self) -> MediaType {
        match self {
            Media::MediaElement { .. } => MediaType::MediaElement,
            Media::Image(_) => MediaType::Image,
            Media::VideoFrame { .. } => MediaType::VideoFrame,
            Media::Video { .. } => MediaType::Video,
            Media::PointCloud { .. } => MediaType::PointCloud,
        }
    }

    /// The stored path.
    pub fn path(&self) -> &str {
        match self {
            Media::MediaElement { path }
            | Media::VideoFrame { path, .. }
            | Media::Video { path, .. }
            | Media::PointCloud { path, .. } => path,
            Media::Image(i) => &i.path,
        }
    }

    /// A short lowercase kind name (`image`, `video_frame`, ...).
    pub fn kind(&self) -> &'static str {
        self.media_type().name()
    }
}
