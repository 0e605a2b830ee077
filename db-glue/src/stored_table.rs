//! The table behind `CREATE TABLE`, CTAS and [`crate::Engine::create_table`]: an
//! in-memory table whose every change is first written to the data directory.
//!
//! Scans read the in-memory partitions as DataFusion's `MemTable` does. Writes — appends
//! (`INSERT INTO`, the HeavyDB load path), `DELETE`, `UPDATE` — take the table's writer
//! lock, commit to the store (a new segment, or for `DELETE`/`UPDATE` the rewritten rows
//! replacing every segment), and only then change the partitions: what a query sees has
//! always been acknowledged-durable first, and a query never waits for a disk write.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use datafusion::arrow::array::{RecordBatch, RecordBatchOptions};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::{Constraints, DataFusionError, SchemaExt, not_impl_err};
use datafusion::datasource::sink::{DataSink, DataSinkExec};
use datafusion::datasource::{MemTable, TableProvider, TableType};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan};

use crate::error::{Error, Result};
use crate::store::Store;

/// A table of the default schema whose rows the store keeps. Cheap to clone.
#[derive(Clone)]
pub(crate) struct StoredTable {
    inner: Arc<Inner>,
}

struct Inner {
    /// The store's id of this table (its directory); a name can be reused, an id not.
    id: u64,
    name: String,
    mem: MemTable,
    store: Arc<Store>,
    /// Serialises this table's writers, so that a rewrite (`DELETE`, `UPDATE`) cannot lose
    /// an append committed while it ran.
    writer: tokio::sync::Mutex<()>,
    /// Spreads appends over the partitions.
    next_partition: AtomicUsize,
}

impl fmt::Debug for StoredTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredTable")
            .field("id", &self.inner.id)
            .field("name", &self.inner.name)
            .finish_non_exhaustive()
    }
}

/// What a rewrite does to a snapshot of the rows.
enum Rewrite {
    Delete(Vec<Expr>),
    Update(Vec<(String, Expr)>, Vec<Expr>),
}

impl StoredTable {
    /// The rows as queries see them.
    pub(crate) fn mem(&self) -> &MemTable {
        &self.inner.mem
    }

    /// The table's schema, as its segment files carry it.
    pub(crate) fn schema_ref(&self) -> SchemaRef {
        self.inner.mem.schema()
    }

    /// The segment files that hold the table's rows now, as the committed catalog lists
    /// them; `None` for a store without a directory.
    pub(crate) fn segment_paths(&self) -> Option<Vec<std::path::PathBuf>> {
        let dir = self.inner.store.dir()?.join(crate::store::TABLES_DIR);
        let catalog = self.inner.store.catalog();
        let table_dir = dir.join(self.inner.id.to_string());
        Some(
            catalog
                .tables
                .iter()
                .find(|t| t.id == self.inner.id)
                .map(|t| t.segments.iter().map(|s| table_dir.join(&s.file)).collect())
                .unwrap_or_default(),
        )
    }

    /// `mem` must hold exactly what the store has for table `id`.
    pub(crate) fn new(id: u64, name: String, mem: MemTable, store: Arc<Store>) -> Self {
        StoredTable {
            inner: Arc::new(Inner {
                id,
                name,
                mem,
                store,
                writer: tokio::sync::Mutex::new(()),
                next_partition: AtomicUsize::new(0),
            }),
        }
    }

    /// Appends rows that already have the table's schema: durably, then visibly, all at
    /// once (into one partition, under its lock: a scan sees all of them or none).
    pub(crate) async fn append(&self, batches: Vec<RecordBatch>) -> Result<u64> {
        let batches: Vec<RecordBatch> = batches.into_iter().filter(|b| b.num_rows() > 0).collect();
        let rows: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
        if rows == 0 {
            return Ok(0);
        }
        let inner = &self.inner;
        let _writer = inner.writer.lock().await;
        {
            let mut txn = inner.store.begin()?;
            if txn.next.table_by_id_mut(inner.id).is_none() {
                // Dropped (or replaced) since this statement found it.
                return Err(Error::TableNotFound(inner.name.clone()));
            }
            let segment = txn.write_segment(inner.id, &inner.mem.schema(), &batches)?;
            if let (Some(table), Some(segment)) = (txn.next.table_by_id_mut(inner.id), segment) {
                table.segments.push(segment);
            }
            txn.commit()?;
        }
        let partitions = &inner.mem.batches;
        if partitions.is_empty() {
            return Err(Error::Internal(format!(
                "table `{}` has no partitions",
                inner.name
            )));
        }
        let partition = inner.next_partition.fetch_add(1, Ordering::Relaxed) % partitions.len();
        // Rows appended at the end may break a declared order, as DataFusion's INSERT
        // assumes too.
        inner.mem.sort_order.lock().clear();
        partitions[partition].write().await.extend(batches);
        Ok(rows)
    }

    /// Runs a `DELETE` or `UPDATE` on a snapshot, stores the result as the table's new
    /// segments (one per partition) and swaps it in.
    async fn rewrite(
        &self,
        state: &dyn Session,
        rewrite: Rewrite,
    ) -> datafusion::common::Result<Arc<dyn ExecutionPlan>> {
        let inner = &self.inner;
        let _writer = inner.writer.lock().await;
        let mut snapshot = Vec::with_capacity(inner.mem.batches.len());
        for partition in &inner.mem.batches {
            snapshot.push(partition.read().await.clone());
        }
        let scratch = MemTable::try_new(inner.mem.schema(), snapshot)?;
        // `MemTable` applies the change to itself while planning and returns a plan that
        // reports the row count.
        let plan = match rewrite {
            Rewrite::Delete(filters) => scratch.delete_from(state, filters).await?,
            Rewrite::Update(assignments, filters) => {
                scratch.update(state, assignments, filters).await?
            }
        };
        let mut after = Vec::with_capacity(scratch.batches.len());
        for partition in &scratch.batches {
            after.push(partition.read().await.clone());
        }
        {
            let mut txn = inner.store.begin()?;
            if txn.next.table_by_id_mut(inner.id).is_none() {
                return Err(Error::TableNotFound(inner.name.clone()).into());
            }
            let schema = inner.mem.schema();
            let mut segments = Vec::new();
            for partition in &after {
                segments.extend(txn.write_segment(inner.id, &schema, partition)?);
            }
            if let Some(table) = txn.next.table_by_id_mut(inner.id) {
                table.segments = segments;
            }
            txn.commit()?;
        }
        inner.mem.sort_order.lock().clear();
        for (partition, rows) in inner.mem.batches.iter().zip(after) {
            *partition.write().await = rows;
        }
        Ok(plan)
    }
}

#[async_trait]
impl TableProvider for StoredTable {
    fn schema(&self) -> SchemaRef {
        self.inner.mem.schema()
    }

    fn constraints(&self) -> Option<&Constraints> {
        self.inner.mem.constraints()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn get_column_default(&self, column: &str) -> Option<&Expr> {
        self.inner.mem.get_column_default(column)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::common::Result<Arc<dyn ExecutionPlan>> {
        self.inner.mem.scan(state, projection, filters, limit).await
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> datafusion::common::Result<Vec<TableProviderFilterPushDown>> {
        self.inner.mem.supports_filters_pushdown(filters)
    }

    async fn insert_into(
        &self,
        _state: &dyn Session,
        input: Arc<dyn ExecutionPlan>,
        insert_op: InsertOp,
    ) -> datafusion::common::Result<Arc<dyn ExecutionPlan>> {
        self.schema()
            .logically_equivalent_names_and_types(&input.schema())?;
        if insert_op != InsertOp::Append {
            return not_impl_err!("{insert_op} is not supported; use INSERT INTO");
        }
        let sink = StoredSink {
            table: self.clone(),
            schema: self.schema(),
        };
        Ok(Arc::new(DataSinkExec::new(input, Arc::new(sink), None)))
    }

    async fn delete_from(
        &self,
        state: &dyn Session,
        filters: Vec<Expr>,
    ) -> datafusion::common::Result<Arc<dyn ExecutionPlan>> {
        self.rewrite(state, Rewrite::Delete(filters)).await
    }

    async fn update(
        &self,
        state: &dyn Session,
        assignments: Vec<(String, Expr)>,
        filters: Vec<Expr>,
    ) -> datafusion::common::Result<Arc<dyn ExecutionPlan>> {
        self.rewrite(state, Rewrite::Update(assignments, filters))
            .await
    }
}

/// `INSERT INTO` a stored table: collects the statement's rows, then appends them as one
/// segment, so that an insert is all or nothing on disk as in memory.
struct StoredSink {
    table: StoredTable,
    schema: SchemaRef,
}

impl fmt::Debug for StoredSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSink")
            .field("table", &self.table.inner.name)
            .finish()
    }
}

impl DisplayAs for StoredSink {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match t {
            DisplayFormatType::Default | DisplayFormatType::Verbose => {
                write!(f, "StoredTable ({})", self.table.inner.name)
            }
            DisplayFormatType::TreeRender => write!(f, ""),
        }
    }
}

#[async_trait]
impl DataSink for StoredSink {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    async fn write_all(
        &self,
        data: SendableRecordBatchStream,
        _context: &Arc<TaskContext>,
    ) -> datafusion::common::Result<u64> {
        let batches = datafusion::physical_plan::common::collect(data).await?;
        // The table's schema exactly (field metadata, nullability), as segment files and
        // scans expect; the planner has already cast the values to its types.
        let batches = batches
            .into_iter()
            .map(|b| {
                RecordBatch::try_new_with_options(
                    Arc::clone(&self.schema),
                    b.columns().to_vec(),
                    &RecordBatchOptions::new().with_row_count(Some(b.num_rows())),
                )
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| DataFusionError::ArrowError(Box::new(e), None))?;
        Ok(self.table.append(batches).await?)
    }
}
