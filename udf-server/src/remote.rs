//! `udf-sql --host`: a session on a running udf-server (or HeavyDB) over Thrift.
//!
//! Results travel as Arrow IPC (`sql_execute_df`), so the shell renders remote and
//! embedded results with the same code.

use std::io::Cursor;
use std::time::Duration;

use db_glue::arrow::array::RecordBatch;
use db_glue::arrow::datatypes::SchemaRef;
use db_glue::arrow::ipc::reader::StreamReader;
use udf_thrift::client::{Client, connect};
use udf_thrift::{TArrowTransport, TDeviceType, THeavySyncClient, error_message};

pub struct RemoteSession {
    client: Client,
    session: String,
    pub server_version: String,
}

impl RemoteSession {
    /// Connects and logs in; errors say which step failed.
    pub fn open(
        host: &str,
        port: u16,
        user: &str,
        password: &str,
        database: &str,
    ) -> Result<RemoteSession, String> {
        let mut client = connect(host, port, Duration::from_secs(10))
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        let server_version = client.get_version().map_err(|e| {
            format!(
                "{host}:{port} does not answer like a HeavyDB server: {}",
                error_message(&e)
            )
        })?;
        let session = client
            .connect(user.to_string(), password.to_string(), database.to_string())
            .map_err(|e| error_message(&e))?;
        Ok(RemoteSession {
            client,
            session,
            server_version,
        })
    }

    /// Runs one statement.
    pub fn execute(&mut self, sql: &str) -> Result<(SchemaRef, Vec<RecordBatch>), String> {
        let frame = self
            .client
            .sql_execute_df(
                self.session.clone(),
                sql.to_string(),
                TDeviceType::CPU,
                0,
                -1,
                TArrowTransport::WIRE,
            )
            .map_err(|e| error_message(&e))?;
        let bytes = frame.df_buffer.unwrap_or_default();
        let reader = StreamReader::try_new(Cursor::new(bytes), None)
            .map_err(|e| format!("the server sent an unreadable Arrow result: {e}"))?;
        let schema = reader.schema();
        let batches = reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the server sent an unreadable Arrow result: {e}"))?;
        Ok((schema, batches))
    }
}

impl Drop for RemoteSession {
    fn drop(&mut self) {
        let _ = self.client.disconnect(self.session.clone());
    }
}
