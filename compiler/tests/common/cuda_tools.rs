//! Where the CUDA toolchain pieces the GPU tests use are: the pinned
//! `nvidia-cuda-nvcc-cu12` wheel in the udf-server venv (`ptxas`, libdevice). Shared by
//! the compiler's tests and db-glue's GPU launch test (included there by path), so it
//! depends on `std` and `tempfile` only.
#![allow(dead_code)]

use std::path::PathBuf;

/// The udf-server Python venv (`scripts/setup-python.sh`), where the pinned
/// `nvidia-cuda-nvcc-cu12` wheel puts `ptxas` and libdevice.
pub fn venv() -> PathBuf {
    std::env::var_os("UDF_VENV")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/udf-server/venv")
        })
}

/// `<venv>/lib/python3*/site-packages/nvidia/cuda_nvcc/<rel>`, if it exists.
pub fn cuda_nvcc_wheel_file(rel: &str) -> Option<PathBuf> {
    let lib = venv().join("lib");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&lib)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
        .map(|e| e.path().join("site-packages/nvidia/cuda_nvcc").join(rel))
        .filter(|p| p.exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

/// `ptxas`: `$UDF_PTXAS`, else the pinned wheel's, else one on `PATH`.
pub fn find_ptxas() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("UDF_PTXAS").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    if let Some(p) = cuda_nvcc_wheel_file("bin/ptxas") {
        return Ok(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("ptxas"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "not in $UDF_PTXAS, {}/lib/python3*/site-packages/nvidia/cuda_nvcc/bin or PATH",
                venv().display()
            )
        })
}

/// Assembles `ptx` with `ptxas` for `sm_<arch>`; Err holds ptxas's output.
pub fn ptxas(ptxas: &std::path::Path, ptx: &str, arch: u32) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let input = dir.path().join("kernel.ptx");
    std::fs::write(&input, ptx).map_err(|e| e.to_string())?;
    let out = std::process::Command::new(ptxas)
        .arg("--gpu-name")
        .arg(format!("sm_{arch}"))
        .arg("-o")
        .arg(dir.path().join("kernel.cubin"))
        .arg(&input)
        .output()
        .map_err(|e| format!("running {}: {e}", ptxas.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
