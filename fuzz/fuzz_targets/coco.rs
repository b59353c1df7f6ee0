//! Any bytes as a COCO `instances` task file: the reader (scanner, number
//! parsing, RLE objects, label resolution, placement) must return a dataset
//! or an error naming the file, never panic.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// One dataset folder per fuzzing process, rewritten for every input.
fn root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("vellum-fuzz-coco-{}", std::process::id()));
        std::fs::create_dir_all(root.join("annotations")).expect("temp folder");
        std::fs::create_dir_all(root.join("images").join("default")).expect("temp folder");
        root
    })
}

fuzz_target!(|data: &[u8]| {
    let root = root();
    let file = root.join("annotations").join("instances_default.json");
    std::fs::write(&file, data).expect("temp file");
    if let Err(e) = vellum_datumaro::read_coco(root) {
        assert!(e.to_string().contains("instances_default.json"), "{e}");
    }
});
