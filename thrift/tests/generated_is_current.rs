//! The committed generated code must be what `scripts/regen.sh` makes from the IDL, so
//! that an IDL edit without regeneration (or a hand edit of generated code) fails here.

use std::path::Path;
use std::process::Command;

#[test]
fn committed_code_matches_the_idl() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    match Command::new("thrift").arg("--version").output() {
        Ok(out) if String::from_utf8_lossy(&out.stdout).trim() == "Thrift version 0.17.0" => {}
        Ok(out) => {
            println!(
                "skipped: needs thrift 0.17.0 to regenerate, found {}",
                String::from_utf8_lossy(&out.stdout).trim()
            );
            return;
        }
        Err(_) => {
            println!(
                "skipped: the thrift compiler is not installed (apt-get install thrift-compiler)"
            );
            return;
        }
    }
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(crate_dir.join("scripts/regen.sh"))
        .arg(out.path())
        .status()
        .expect("run scripts/regen.sh");
    assert!(status.success(), "scripts/regen.sh failed");
    for file in ["heavy.rs", "remotejit.rs"] {
        let fresh = std::fs::read_to_string(out.path().join(file)).unwrap();
        let committed =
            std::fs::read_to_string(crate_dir.join("src/generated").join(file)).unwrap();
        assert!(
            fresh == committed,
            "thrift/src/generated/{file} is stale: run thrift/scripts/regen.sh and commit the result"
        );
    }
}
