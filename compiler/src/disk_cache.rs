//! The persistent code cache: one self-checking file per compiled module, so that a
//! restarted server links what it compiled before instead of compiling it again.
//!
//! An entry is `<cache_dir>/<hex of the cache key>.udfc`:
//!
//! ```text
//! magic "UDFCACHE" | format u32 | kind u8 (1 CPU object, 2 PTX) | 3 zero bytes
//! key [32]                       (must equal the file name's key)
//! triple, cpu, features, llvm    (u32 length + UTF-8 each; must equal this compiler's)
//! payload length u64 | SHA-256 of the payload [32]
//! payload                        (see `CpuEntry` / `PtxEntry`)
//! ```
//!
//! All integers are little-endian. The key already covers the target and LLVM version, so
//! an entry naming another one under our key is a copied file or a collision: it is
//! ignored (and replaced), never loaded. A truncated or corrupt entry is deleted. Entries
//! are written to a temporary file in the same folder, synced and renamed over the final
//! name, so a reader (another thread or process) sees a whole entry or none; two writers
//! of one key write the same content, and the last rename wins.
//!
//! Loading an entry runs its machine code: the folder must be writable by the server's
//! user only (it is created `0700`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::cache::{CacheKey, FORMAT_VERSION};
use crate::compiler::TargetSpec;
use crate::stats::{KernelStats, ModuleStats};

const MAGIC: &[u8; 8] = b"UDFCACHE";
const EXTENSION: &str = "udfc";
/// Header strings are short (a triple, a CPU name, a feature list): a longer one is
/// corruption, not something to allocate for.
const MAX_HEADER_STRING: usize = 64 * 1024;
/// Objects and PTX of UDF modules are kilobytes to a few megabytes.
const MAX_ENTRY_BYTES: u64 = 1 << 30;
/// A temporary file this old belongs to a writer that died.
const STALE_TEMP: Duration = Duration::from_secs(600);

static TEMP_IDS: AtomicU64 = AtomicU64::new(0);

/// What an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    Cpu = 1,
    Ptx = 2,
}

/// The target an entry was compiled for, as its header names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryTarget {
    pub triple: String,
    pub cpu: String,
    pub features: String,
    pub llvm_version: String,
}

impl EntryTarget {
    pub fn new(target: &TargetSpec, llvm_version: &str) -> Self {
        EntryTarget {
            triple: target.triple.clone(),
            cpu: target.cpu.clone(),
            features: target.features.clone(),
            llvm_version: llvm_version.to_string(),
        }
    }
}

/// The result of looking a key up on disk.
pub(crate) enum Lookup {
    /// A whole, checked payload for this key and target.
    Hit(Vec<u8>),
    /// No entry (or it could not be read: logged).
    Missing,
    /// An entry for another target, LLVM version or entry format.
    Foreign(String),
    /// A truncated or corrupt entry; already deleted.
    Corrupt(String),
}

/// The cache folder.
pub(crate) struct DiskCache {
    dir: PathBuf,
}

impl DiskCache {
    /// Opens (creating it `0700` if missing) the cache folder.
    pub fn open(dir: &Path) -> io::Result<Self> {
        if !dir.is_dir() {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir)?;
        }
        Ok(DiskCache {
            dir: dir.to_path_buf(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn entry_path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(format!("{}.{EXTENSION}", hex::encode(key)))
    }

    /// Reads and checks the entry of `key`. A corrupt entry is deleted here.
    pub fn load(&self, key: &CacheKey, kind: EntryKind, target: &EntryTarget) -> Lookup {
        let path = self.entry_path(key);
        let bytes = match read_limited(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Lookup::Missing,
            Err(e) => {
                tracing::warn!(path = %path.display(), "reading a code cache entry: {e}");
                return Lookup::Missing;
            }
        };
        match check_entry(&bytes, key, kind, target) {
            Ok(range) => Lookup::Hit(bytes[range].to_vec()),
            Err(Rejection::Foreign(why)) => Lookup::Foreign(why),
            Err(Rejection::Corrupt(why)) => {
                self.remove_corrupt(key);
                Lookup::Corrupt(why)
            }
        }
    }

    /// Deletes the entry of `key` (found corrupt here or by the caller's decoding).
    pub fn remove_corrupt(&self, key: &CacheKey) {
        let path = self.entry_path(key);
        if let Err(e) = fs::remove_file(&path)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), "deleting a corrupt code cache entry: {e}");
        }
    }

    /// Writes the entry of `key` atomically; returns its size.
    pub fn store(
        &self,
        key: &CacheKey,
        kind: EntryKind,
        target: &EntryTarget,
        payload: &[u8],
    ) -> io::Result<u64> {
        let mut bytes = header(key, kind, target, payload);
        bytes.extend_from_slice(payload);
        let path = self.entry_path(key);
        let temp = self.dir.join(format!(
            ".{}.{}.{}.tmp",
            hex::encode(key),
            std::process::id(),
            TEMP_IDS.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| {
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = match options.open(&temp) {
                // The folder was deleted under us (a cleaner, `rm -r`): make it again.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    Self::open(&self.dir)?;
                    options.open(&temp)?
                }
                other => other?,
            };
            file.write_all(&bytes)?;
            // Durable before it gets the final name: a crash leaves the old entry, no
            // entry, or this one, never a prefix of it.
            file.sync_all()?;
            drop(file);
            fs::rename(&temp, &path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        // The rename itself becomes durable with the folder; failing that only risks
        // losing the entry in a crash, which costs a recompile.
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(bytes.len() as u64)
    }

    /// The number and total size of the entries now in the folder.
    pub fn scan(&self) -> (u64, u64) {
        let mut entries = 0;
        let mut bytes = 0;
        for (_, len) in self.entries() {
            entries += 1;
            bytes += len;
        }
        (entries, bytes)
    }

    /// Deletes every entry (and temporary files left by writers that died); returns how
    /// many entries and bytes were deleted.
    pub fn clear(&self) -> io::Result<(u64, u64)> {
        let mut entries = 0;
        let mut bytes = 0;
        for (path, len) in self.entries() {
            match fs::remove_file(&path) {
                Ok(()) => {
                    entries += 1;
                    bytes += len;
                }
                // Another process cleared or replaced it meanwhile.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        if let Ok(dir) = fs::read_dir(&self.dir) {
            for entry in dir.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let stale = entry
                    .metadata()
                    .ok()
                    .and_then(|m| m.modified().ok())
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > STALE_TEMP);
                // A younger one may be a live writer's: deleting it would only make that
                // write fail (logged), but there is no need.
                if name.starts_with('.') && name.ends_with(".tmp") && stale {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        Ok((entries, bytes))
    }

    /// Entry files (`<64 hex>.udfc`) and their sizes.
    fn entries(&self) -> Vec<(PathBuf, u64)> {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        dir.flatten()
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.strip_suffix(&format!(".{EXTENSION}"))
                    .is_some_and(|stem| stem.len() == 64 && hex::decode(stem).is_ok())
            })
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                meta.is_file().then(|| (e.path(), meta.len()))
            })
            .collect()
    }
}

fn read_limited(path: &Path) -> io::Result<Vec<u8>> {
    let len = fs::metadata(path)?.len();
    if len > MAX_ENTRY_BYTES {
        return Err(io::Error::other(format!(
            "{len} bytes is not a cache entry"
        )));
    }
    fs::read(path)
}

enum Rejection {
    Foreign(String),
    Corrupt(String),
}

fn header(key: &CacheKey, kind: EntryKind, target: &EntryTarget, payload: &[u8]) -> Vec<u8> {
    let mut w = Writer::default();
    w.raw(MAGIC);
    w.u32(FORMAT_VERSION);
    w.raw(&[kind as u8, 0, 0, 0]);
    w.raw(key);
    w.str(&target.triple);
    w.str(&target.cpu);
    w.str(&target.features);
    w.str(&target.llvm_version);
    w.u64(payload.len() as u64);
    w.raw(&Sha256::digest(payload));
    w.buf
}

/// Checks an entry's header and payload; returns the payload's byte range.
fn check_entry(
    bytes: &[u8],
    key: &CacheKey,
    kind: EntryKind,
    target: &EntryTarget,
) -> std::result::Result<std::ops::Range<usize>, Rejection> {
    let corrupt = |why: &str| Rejection::Corrupt(why.to_string());
    let mut r = Reader::new(bytes);
    if r.raw(MAGIC.len()) != Some(MAGIC.as_slice()) {
        return Err(corrupt("no entry magic"));
    }
    let format = r.u32().ok_or_else(|| corrupt("truncated header"))?;
    if format != FORMAT_VERSION {
        return Err(Rejection::Foreign(format!(
            "entry format {format}, this build writes {FORMAT_VERSION}"
        )));
    }
    let kind_bytes = r.raw(4).ok_or_else(|| corrupt("truncated header"))?;
    if kind_bytes != [kind as u8, 0, 0, 0] {
        return Err(corrupt("wrong entry kind"));
    }
    if r.raw(key.len()) != Some(key.as_slice()) {
        return Err(corrupt("the header's key is not the file's"));
    }
    let mut fields = Vec::with_capacity(4);
    for _ in 0..4 {
        fields.push(
            r.str_max(MAX_HEADER_STRING)
                .ok_or_else(|| corrupt("truncated header"))?,
        );
    }
    let found = EntryTarget {
        triple: fields[0].clone(),
        cpu: fields[1].clone(),
        features: fields[2].clone(),
        llvm_version: fields[3].clone(),
    };
    if found != *target {
        return Err(Rejection::Foreign(format!(
            "compiled for {} / {} / LLVM {}, this is {} / {} / LLVM {}",
            found.triple,
            found.cpu,
            found.llvm_version,
            target.triple,
            target.cpu,
            target.llvm_version
        )));
    }
    let len = r.u64().ok_or_else(|| corrupt("truncated header"))?;
    let digest = r.raw(32).ok_or_else(|| corrupt("truncated header"))?;
    let start = r.pos;
    let rest = (bytes.len() - start) as u64;
    if rest != len {
        return Err(Rejection::Corrupt(format!(
            "payload of {rest} bytes, header says {len}"
        )));
    }
    if Sha256::digest(&bytes[start..]).as_slice() != digest {
        return Err(corrupt("payload checksum mismatch"));
    }
    Ok(start..bytes.len())
}

/// A compiled CPU module as stored: the object, its kernel symbols and statistics.
pub(crate) struct CpuEntry {
    pub object: Vec<u8>,
    pub kernel_symbols: Vec<String>,
    pub stats: ModuleStats,
}

impl CpuEntry {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.bytes(&self.object);
        w.strings(&self.kernel_symbols);
        w.stats(&self.stats);
        w.buf
    }

    pub fn decode(payload: &[u8]) -> Option<Self> {
        let mut r = Reader::new(payload);
        let entry = CpuEntry {
            object: r.bytes()?.to_vec(),
            kernel_symbols: r.strings()?,
            stats: r.stats()?,
        };
        r.at_end().then_some(entry)
    }
}

/// A compiled PTX module as stored.
pub(crate) struct PtxEntry {
    pub ptx: String,
    pub kernels: Vec<String>,
    pub libdevice_linked: bool,
    pub stats: ModuleStats,
}

impl PtxEntry {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.str(&self.ptx);
        w.strings(&self.kernels);
        w.raw(&[self.libdevice_linked as u8]);
        w.stats(&self.stats);
        w.buf
    }

    pub fn decode(payload: &[u8]) -> Option<Self> {
        let mut r = Reader::new(payload);
        let entry = PtxEntry {
            ptx: r.str_max(usize::MAX)?,
            kernels: r.strings()?,
            libdevice_linked: match r.raw(1)? {
                [0] => false,
                [1] => true,
                _ => return None,
            },
            stats: r.stats()?,
        };
        r.at_end().then_some(entry)
    }
}

#[derive(Default)]
struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn raw(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
    fn u32(&mut self, v: u32) {
        self.raw(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.raw(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.raw(b);
    }
    fn str(&mut self, s: &str) {
        self.u32(u32::try_from(s.len()).unwrap_or(u32::MAX));
        self.raw(s.as_bytes());
    }
    fn strings(&mut self, v: &[String]) {
        self.u32(v.len() as u32);
        for s in v {
            self.str(s);
        }
    }
    fn duration(&mut self, d: Duration) {
        self.u64(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }
    fn stats(&mut self, s: &ModuleStats) {
        for d in [
            s.parse,
            s.verify,
            s.generate,
            s.optimise,
            s.codegen,
            s.link,
            s.compile_time,
        ] {
            self.duration(d);
        }
        self.u64(s.code_size as u64);
        self.u32(s.kernels.len() as u32);
        for k in &s.kernels {
            self.str(&k.symbol);
            self.str(&k.kernel);
            self.u64(k.instructions as u64);
            self.u64(k.basic_blocks as u64);
            self.u32(k.vector_width.unwrap_or(0));
            self.u32(k.interleave.unwrap_or(0));
        }
    }
}

/// Bounds-checked reading: every method returns `None` past the end, never panics.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }
    fn raw(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let slice = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(slice)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.raw(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.raw(8)?.try_into().ok()?))
    }
    fn usize(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok()
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.usize()?;
        self.raw(n)
    }
    fn str_max(&mut self, max: usize) -> Option<String> {
        let n = self.u32()? as usize;
        if n > max {
            return None;
        }
        String::from_utf8(self.raw(n)?.to_vec()).ok()
    }
    fn strings(&mut self) -> Option<Vec<String>> {
        let n = self.u32()? as usize;
        // Each string takes at least its 4-byte length: a count beyond that is corrupt,
        // and must not size an allocation.
        if n > self.data.len().saturating_sub(self.pos) / 4 {
            return None;
        }
        (0..n).map(|_| self.str_max(MAX_HEADER_STRING)).collect()
    }
    fn duration(&mut self) -> Option<Duration> {
        Some(Duration::from_nanos(self.u64()?))
    }
    fn stats(&mut self) -> Option<ModuleStats> {
        let mut s = ModuleStats {
            parse: self.duration()?,
            verify: self.duration()?,
            generate: self.duration()?,
            optimise: self.duration()?,
            codegen: self.duration()?,
            link: self.duration()?,
            compile_time: self.duration()?,
            code_size: self.usize()?,
            kernels: Vec::new(),
        };
        let n = self.u32()? as usize;
        if n > self.data.len().saturating_sub(self.pos) / 32 {
            return None;
        }
        for _ in 0..n {
            let nonzero = |v: u32| (v != 0).then_some(v);
            s.kernels.push(KernelStats {
                symbol: self.str_max(MAX_HEADER_STRING)?,
                kernel: self.str_max(MAX_HEADER_STRING)?,
                instructions: self.usize()?,
                basic_blocks: self.usize()?,
                vector_width: nonzero(self.u32()?),
                interleave: nonzero(self.u32()?),
            });
        }
        Some(s)
    }
    fn at_end(&self) -> bool {
        self.pos == self.data.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> EntryTarget {
        EntryTarget {
            triple: "x86_64-unknown-linux-gnu".into(),
            cpu: "znver4".into(),
            features: "+avx2".into(),
            llvm_version: "22.1.0".into(),
        }
    }

    fn sample_stats() -> ModuleStats {
        ModuleStats {
            parse: Duration::from_micros(1),
            verify: Duration::from_micros(2),
            generate: Duration::from_micros(3),
            optimise: Duration::from_micros(4),
            codegen: Duration::from_micros(5),
            link: Duration::from_micros(6),
            compile_time: Duration::from_micros(30),
            code_size: 3,
            kernels: vec![KernelStats {
                symbol: "f".into(),
                kernel: "udf_kernel_0".into(),
                instructions: 10,
                basic_blocks: 2,
                vector_width: Some(4),
                interleave: None,
            }],
        }
    }

    #[test]
    fn entries_round_trip_and_reject_damage() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::open(&dir.path().join("sub")).unwrap();
        let key = [7u8; 32];
        let entry = CpuEntry {
            object: vec![1, 2, 3],
            kernel_symbols: vec!["udf_kernel_0".into()],
            stats: sample_stats(),
        };
        cache
            .store(&key, EntryKind::Cpu, &target(), &entry.encode())
            .unwrap();
        assert_eq!(cache.scan().0, 1);
        let Lookup::Hit(payload) = cache.load(&key, EntryKind::Cpu, &target()) else {
            panic!("no hit");
        };
        let back = CpuEntry::decode(&payload).unwrap();
        assert_eq!(back.object, entry.object);
        assert_eq!(back.kernel_symbols, entry.kernel_symbols);
        assert_eq!(back.stats, entry.stats);

        // Wrong kind, other target: not loaded.
        assert!(matches!(
            cache.load(
                &key,
                EntryKind::Cpu,
                &EntryTarget {
                    cpu: "skylake".into(),
                    ..target()
                }
            ),
            Lookup::Foreign(_)
        ));
        assert!(matches!(
            cache.load(&key, EntryKind::Ptx, &target()),
            Lookup::Corrupt(_)
        ));
        assert!(matches!(
            cache.load(&key, EntryKind::Cpu, &target()),
            Lookup::Missing
        ));

        // Every truncation is corrupt, and deleted.
        cache
            .store(&key, EntryKind::Cpu, &target(), &entry.encode())
            .unwrap();
        let full = std::fs::read(cache.entry_path(&key)).unwrap();
        for len in 0..full.len() {
            std::fs::write(cache.entry_path(&key), &full[..len]).unwrap();
            assert!(
                matches!(
                    cache.load(&key, EntryKind::Cpu, &target()),
                    Lookup::Corrupt(_)
                ),
                "truncated to {len}"
            );
            assert!(!cache.entry_path(&key).exists());
        }
        let (n, bytes) = cache.clear().unwrap();
        assert_eq!((n, bytes), (0, 0));
    }

    #[test]
    fn decoding_garbage_never_panics() {
        let payload = PtxEntry {
            ptx: "// ptx".into(),
            kernels: vec!["udf_kernel_0".into()],
            libdevice_linked: true,
            stats: sample_stats(),
        }
        .encode();
        assert!(PtxEntry::decode(&payload).is_some());
        for len in 0..payload.len() {
            assert!(PtxEntry::decode(&payload[..len]).is_none());
            assert!(CpuEntry::decode(&payload[..len]).is_none());
        }
        let mut flipped = payload.clone();
        for i in 0..flipped.len() {
            flipped[i] ^= 0xff;
            let _ = PtxEntry::decode(&flipped);
            let _ = CpuEntry::decode(&flipped);
            flipped[i] ^= 0xff;
        }
    }
}
