// The HeavyDB-compatible subset of the `Heavy` service that udf-server speaks, plus
// udf-server's own methods (prefixed `udf_`).
//
// Wire facts (field ids, types, enum values, IDL defaults) follow HeavyDB's public IDL as
// the real clients (pyheavydb, heavyai, rbc-project) use it; see
// shared/protocols/heavydb-thrift.md. Field ids are the contract: never renumber, only
// append. Requiredness is left at the default everywhere, as in HeavyDB's IDL; the
// generated readers are then patched (scripts/regen.sh) so that an absent argument takes
// its IDL default, as the C++ server does, because real clients omit some.

namespace rs heavy

typedef string TSessionId

enum TDeviceType {
  CPU = 0,
  GPU = 1
}

enum TExecuteMode {
  GPU = 1,
  CPU = 2
}

enum TDatumType {
  SMALLINT = 0,
  INT = 1,
  BIGINT = 2,
  FLOAT = 3,
  DECIMAL = 4,
  DOUBLE = 5,
  STR = 6,
  TIME = 7,
  TIMESTAMP = 8,
  DATE = 9,
  BOOL = 10,
  INTERVAL_DAY_TIME = 11,
  INTERVAL_YEAR_MONTH = 12,
  POINT = 13,
  LINESTRING = 14,
  POLYGON = 15,
  MULTIPOLYGON = 16,
  TINYINT = 17,
  GEOMETRY = 18,
  GEOGRAPHY = 19,
  MULTILINESTRING = 20,
  MULTIPOINT = 21
}

enum TEncodingType {
  NONE = 0,
  FIXED = 1,
  RL = 2,
  DIFF = 3,
  DICT = 4,
  SPARSE = 5,
  GEOINT = 6,
  DATE_IN_DAYS = 7,
  ARRAY = 8,
  ARRAY_DICT = 9
}

enum TQueryType {
  UNKNOWN = 0,
  READ = 1,
  WRITE = 2,
  SCHEMA_READ = 3,
  SCHEMA_WRITE = 4
}

enum TArrowTransport {
  SHARED_MEMORY = 0,
  WIRE = 1
}

enum TPartitionDetail {
  DEFAULT = 0,
  REPLICATED = 1,
  SHARDED = 2,
  OTHER = 3
}

enum TRole {
  SERVER = 0,
  AGGREGATOR = 1,
  LEAF = 2,
  STRING_DICTIONARY = 3
}

enum TTableType {
  DEFAULT = 0,
  TEMPORARY = 1,
  FOREIGN = 2,
  VIEW = 3
}

enum TTableRefreshUpdateType {
  ALL = 0,
  APPEND = 1
}

enum TTableRefreshTimingType {
  MANUAL = 0,
  SCHEDULED = 1
}

enum TTableRefreshIntervalType {
  NONE = 0,
  HOUR = 1,
  DAY = 2
}

enum TOutputBufferSizeType {
  kConstant = 0,
  kUserSpecifiedConstantParameter = 1,
  kUserSpecifiedRowMultiplier = 2,
  kTableFunctionSpecifiedParameter = 3,
  kPreFlightParameter = 4
}

// Append-only in HeavyDB; values are the wire contract.
enum TExtArgumentType {
  Int8 = 0, Int16 = 1, Int32 = 2, Int64 = 3, Float = 4, Double = 5, Void = 6,
  PInt8 = 7, PInt16 = 8, PInt32 = 9, PInt64 = 10, PFloat = 11, PDouble = 12, PBool = 13,
  Bool = 14,
  ArrayInt8 = 15, ArrayInt16 = 16, ArrayInt32 = 17, ArrayInt64 = 18, ArrayFloat = 19,
  ArrayDouble = 20, ArrayBool = 21,
  GeoPoint = 22, GeoLineString = 23, Cursor = 24, GeoPolygon = 25, GeoMultiPolygon = 26,
  ColumnInt8 = 27, ColumnInt16 = 28, ColumnInt32 = 29, ColumnInt64 = 30, ColumnFloat = 31,
  ColumnDouble = 32, ColumnBool = 33,
  TextEncodingNone = 34, TextEncodingDict = 35,
  ColumnListInt8 = 36, ColumnListInt16 = 37, ColumnListInt32 = 38, ColumnListInt64 = 39,
  ColumnListFloat = 40, ColumnListDouble = 41, ColumnListBool = 42,
  ColumnTextEncodingDict = 43, ColumnListTextEncodingDict = 44,
  ColumnTimestamp = 45, Timestamp = 46,
  ColumnArrayInt8 = 47, ColumnArrayInt16 = 48, ColumnArrayInt32 = 49, ColumnArrayInt64 = 50,
  ColumnArrayFloat = 51, ColumnArrayDouble = 52, ColumnArrayBool = 53,
  ColumnListArrayInt8 = 54, ColumnListArrayInt16 = 55, ColumnListArrayInt32 = 56,
  ColumnListArrayInt64 = 57, ColumnListArrayFloat = 58, ColumnListArrayDouble = 59,
  ColumnListArrayBool = 60,
  GeoMultiLineString = 61,
  ArrayTextEncodingNone = 62, ColumnTextEncodingNone = 63, ColumnListTextEncodingNone = 64,
  ColumnArrayTextEncodingNone = 65, ColumnListArrayTextEncodingNone = 66,
  ArrayTextEncodingDict = 67, ColumnArrayTextEncodingDict = 68,
  ColumnListArrayTextEncodingDict = 69,
  GeoMultiPoint = 70, DayTimeInterval = 71, YearMonthTimeInterval = 72,
  ColumnGeoPoint = 73, ColumnGeoLineString = 74, ColumnGeoPolygon = 75,
  ColumnGeoMultiPoint = 76, ColumnGeoMultiLineString = 77, ColumnGeoMultiPolygon = 78,
  ColumnListGeoPoint = 79, ColumnListGeoLineString = 80, ColumnListGeoPolygon = 81,
  ColumnListGeoMultiPoint = 82, ColumnListGeoMultiLineString = 83,
  ColumnListGeoMultiPolygon = 84
}

exception TDBException {
  1: string error_msg
}

struct TStringDictKey {
  1: i32 db_id
  2: i32 dict_id
}

struct TTypeInfo {
  1: TDatumType type
  4: TEncodingType encoding
  2: bool nullable
  3: bool is_array
  5: i32 precision
  6: i32 scale
  7: i32 comp_param
  8: optional i32 size = -1
  9: optional TStringDictKey dict_key
}

struct TColumnType {
  1: string col_name
  2: TTypeInfo col_type
  3: bool is_reserved_keyword
  4: string src_name
  5: bool is_system
  6: bool is_physical
  7: i64 col_id
  8: optional string default_value
  9: optional string comment
}

typedef list<TColumnType> TRowDescriptor

struct TDatumVal {
  1: i64 int_val
  2: double real_val
  3: string str_val
  4: list<TDatum> arr_val
}

struct TDatum {
  1: TDatumVal val
  2: bool is_null
}

struct TRow {
  1: list<TDatum> cols
}

struct TColumnData {
  1: list<i64> int_col
  2: list<double> real_col
  3: list<string> str_col
  4: list<TColumn> arr_col
}

struct TColumn {
  1: TColumnData data
  2: list<bool> nulls
}

struct TStringValue {
  1: string str_val
  2: bool is_null
}

struct TStringRow {
  1: list<TStringValue> cols
}

struct TRowSet {
  1: TRowDescriptor row_desc
  2: list<TRow> rows
  3: list<TColumn> columns
  4: bool is_columnar
}

struct TQueryResult {
  1: TRowSet row_set
  2: i64 execution_time_ms
  3: i64 total_time_ms
  4: string nonce
  5: string debug
  6: bool success = true
  7: TQueryType query_type = TQueryType.UNKNOWN
}

struct TDataFrame {
  1: binary sm_handle
  2: i64 sm_size
  3: binary df_handle
  4: i64 df_size
  5: i64 execution_time_ms
  6: i64 arrow_conversion_time_ms
  7: binary df_buffer
}

struct TDBInfo {
  1: string db_name
  2: string db_owner
  3: string immerse_metadata_json
}

struct TCreateParams {
  1: bool is_replicated
}

struct TServerStatus {
  1: bool read_only
  2: string version
  3: bool rendering_enabled
  4: i64 start_time
  5: string edition
  6: string host_name
  7: bool poly_rendering_enabled
  8: TRole role
  9: string renderer_status_json
  10: string host_id
}

struct TGpuSpecification {
  1: i32 num_sm
  2: i64 clock_frequency_kHz
  3: i64 memory
  4: i16 compute_capability_major
  5: i16 compute_capability_minor
}

struct THardwareInfo {
  1: i16 num_gpu_hw
  2: i16 num_cpu_hw
  3: i16 num_gpu_allocated
  4: i16 start_gpu
  5: string host_name
  6: list<TGpuSpecification> gpu_info
}

struct TClusterHardwareInfo {
  1: list<THardwareInfo> hardware_info
}

struct TTableRefreshInfo {
  1: TTableRefreshUpdateType update_type
  2: TTableRefreshTimingType timing_type
  3: string start_date_time
  4: TTableRefreshIntervalType interval_type
  5: i64 interval_count
  6: string last_refresh_time
  7: string next_refresh_time
}

struct TTableDetails {
  1: TRowDescriptor row_desc
  2: i64 fragment_size
  3: i64 page_size
  4: i64 max_rows
  5: string view_sql
  6: i64 shard_count
  7: string key_metainfo
  8: bool is_temporary
  9: TPartitionDetail partition_detail
  10: TTableType table_type
  11: TTableRefreshInfo refresh_info
  12: string sharded_column_name
  13: optional string comment
}

struct TTableMeta {
  1: string table_name
  2: i64 num_cols
  4: bool is_view
  5: bool is_replicated
  6: i64 shard_count
  7: i64 max_rows
  8: i64 table_id
  9: i64 max_table_id
  10: list<TTypeInfo> col_types
  11: list<string> col_names
}

struct TSessionInfo {
  1: string user
  2: string database
  3: i64 start_time
  4: bool is_super
}

struct TUserDefinedFunction {
  1: string name
  2: list<TExtArgumentType> argTypes
  3: TExtArgumentType retType
  4: list<map<string, string>> annotations
}

struct TUserDefinedTableFunction {
  1: string name
  2: TOutputBufferSizeType sizerType
  3: i32 sizerArgPos
  4: list<TExtArgumentType> inputArgTypes
  5: list<TExtArgumentType> outputArgTypes
  6: list<TExtArgumentType> sqlArgTypes
  7: list<map<string, string>> annotations
}

// udf-server's own view of a registered function overload.
struct TUdfFunctionInfo {
  1: string name
  2: string signature
  3: string symbol
  4: list<string> targets
  5: string origin
  6: i64 compile_time_us
}

// udf_call: one call of a function on scalar values, without SQL. `type` is the SQL type
// of the result (BOOLEAN, TINYINT, SMALLINT, INTEGER, BIGINT, FLOAT, DOUBLE), `signature`
// the overload that ran, e.g. "add(BIGINT, BIGINT) -> BIGINT".
struct TUdfCallResult {
  1: TDatum value
  2: string type
  3: string signature
}

// udf_server_status: what `udf-admin status` shows.
struct TUdfServerStatus {
  1: string version
  2: i64 started_at_ms
  3: i64 uptime_ms
  4: string llvm_version
  5: string host_triple
  6: string host_cpu
  7: list<string> devices
  8: i32 sessions
  9: i32 functions
  10: i32 overloads
  11: i32 tables
  12: i64 table_rows
  13: i64 table_bytes
  14: i64 memory_rss_bytes
  15: string data_dir
  16: string code_cache_dir
}

// One live session; `id` is only the first 8 hex digits unless the caller is that session
// (a prefix names a session for udf_kill_session without handing out its credential).
struct TUdfSessionInfo {
  1: string id
  2: string user
  3: string database
  4: i64 started_at_ms
  5: i64 idle_ms
  6: string execution_mode
  7: bool current
}

// One table of the catalog.
struct TUdfTableInfo {
  1: string name
  2: string columns
  3: i64 rows
  4: i64 bytes
  5: i32 batches
}

// What the compiler did for one overload on one target (`cpu`, `gpu`). Counts are of the
// kernel as optimised (its own function and the range loops it calls); vector_width 0 =
// the row loop did not vectorise. phase_us: parse, verify, optimise, codegen, link (of the
// original compile when the code came from a cache). Text fields are filled only when
// asked for in udf_function_details' `texts` (ir, opt_ir, asm, ptx).
struct TUdfKernelDetails {
  1: string name
  2: string signature
  3: string symbol
  4: string target
  5: string target_name
  6: string origin
  7: string owner
  8: i64 created_at_ms
  9: i64 instructions
  10: i64 basic_blocks
  11: i32 vector_width
  12: i32 interleave
  13: map<string, i64> phase_us
  14: string code_source
  15: i64 cache_hits
  16: i64 invocations
  17: i64 rows
  18: string ir
  19: string optimized_ir
  20: string assembly
  21: string ptx
  22: string note
}

// The compiler's code cache.
struct TUdfCacheStats {
  1: string cache_dir
  2: i64 compiles
  3: i64 ptx_compiles
  4: i64 memory_hits
  5: i64 disk_hits
  6: i64 disk_misses
  7: i64 disk_rejected_foreign
  8: i64 disk_corrupt
  9: i64 disk_writes
  10: i64 disk_entries
  11: i64 disk_bytes
  12: i64 memory_entries
}

service Heavy {
  TSessionId connect(1: string user, 2: string passwd, 3: string dbname) throws (1: TDBException e)
  void disconnect(1: TSessionId session) throws (1: TDBException e)
  string get_version() throws (1: TDBException e)
  TServerStatus get_server_status(1: TSessionId session) throws (1: TDBException e)
  list<TServerStatus> get_status(1: TSessionId session) throws (1: TDBException e)
  TClusterHardwareInfo get_hardware_info(1: TSessionId session) throws (1: TDBException e)
  list<TDBInfo> get_databases(1: TSessionId session) throws (1: TDBException e)
  list<string> get_tables(1: TSessionId session) throws (1: TDBException e)
  list<string> get_physical_tables(1: TSessionId session) throws (1: TDBException e)
  list<string> get_views(1: TSessionId session) throws (1: TDBException e)
  list<TTableMeta> get_tables_meta(1: TSessionId session) throws (1: TDBException e)
  TTableDetails get_table_details(1: TSessionId session, 2: string table_name) throws (1: TDBException e)
  TSessionInfo get_session_info(1: TSessionId session) throws (1: TDBException e)
  TQueryResult sql_execute(1: TSessionId session, 2: string query, 3: bool column_format, 4: string nonce, 5: i32 first_n = -1, 6: i32 at_most_n = -1) throws (1: TDBException e)
  TDataFrame sql_execute_df(1: TSessionId session, 2: string query, 3: TDeviceType device_type, 4: i32 device_id = 0, 5: i32 first_n = -1, 6: TArrowTransport transport_method) throws (1: TDBException e)
  TDataFrame sql_execute_gdf(1: TSessionId session, 2: string query, 3: i32 device_id = 0, 4: i32 first_n = -1) throws (1: TDBException e)
  void deallocate_df(1: TSessionId session, 2: TDataFrame df, 3: TDeviceType device_type, 4: i32 device_id = 0) throws (1: TDBException e)
  void interrupt(1: TSessionId query_session, 2: TSessionId interrupt_session) throws (1: TDBException e)
  TRowDescriptor sql_validate(1: TSessionId session, 2: string query) throws (1: TDBException e)
  void set_execution_mode(1: TSessionId session, 2: TExecuteMode mode) throws (1: TDBException e)
  void create_table(1: TSessionId session, 2: string table_name, 3: TRowDescriptor row_desc, 4: TCreateParams create_params) throws (1: TDBException e)
  void load_table(1: TSessionId session, 2: string table_name, 3: list<TStringRow> rows, 4: list<string> column_names = []) throws (1: TDBException e)
  void load_table_binary(1: TSessionId session, 2: string table_name, 3: list<TRow> rows, 4: list<string> column_names = []) throws (1: TDBException e)
  void load_table_binary_columnar(1: TSessionId session, 2: string table_name, 3: list<TColumn> cols, 4: list<string> column_names = []) throws (1: TDBException e)
  void load_table_binary_arrow(1: TSessionId session, 2: string table_name, 3: binary arrow_stream, 4: bool use_column_names = false) throws (1: TDBException e)
  map<string, string> get_device_parameters(1: TSessionId session) throws (1: TDBException e)
  void register_runtime_extension_functions(1: TSessionId session, 2: list<TUserDefinedFunction> udfs, 3: list<TUserDefinedTableFunction> udtfs, 4: map<string, string> device_ir_map) throws (1: TDBException e)
  list<string> get_function_names(1: TSessionId session) throws (1: TDBException e)
  list<string> get_runtime_function_names(1: TSessionId session) throws (1: TDBException e)
  list<TUserDefinedFunction> get_function_details(1: TSessionId session, 2: list<string> udf_names) throws (1: TDBException e)
  list<string> get_table_function_names(1: TSessionId session) throws (1: TDBException e)
  list<string> get_runtime_table_function_names(1: TSessionId session) throws (1: TDBException e)
  list<TUserDefinedTableFunction> get_table_function_details(1: TSessionId session, 2: list<string> udtf_names) throws (1: TDBException e)

  // udf-server's own methods.
  list<TUdfFunctionInfo> udf_list_functions(1: TSessionId session) throws (1: TDBException e)
  // `argument_types`: SQL type names, one per argument, or empty to type them as SQL literals
  // (int_val: the narrowest integer type holding it; real_val: DOUBLE).
  TUdfCallResult udf_call(1: TSessionId session, 2: string name, 3: list<TDatum> arguments, 4: list<string> argument_types) throws (1: TDBException e)
  TUdfServerStatus udf_server_status(1: TSessionId session) throws (1: TDBException e)
  // Superuser only: every session; others: their own.
  list<TUdfSessionInfo> udf_list_sessions(1: TSessionId session) throws (1: TDBException e)
  // Superuser only. `id`: a whole session id or a unique prefix of at least 8 hex digits.
  void udf_kill_session(1: TSessionId session, 2: string id) throws (1: TDBException e)
  list<TUdfTableInfo> udf_list_tables(1: TSessionId session) throws (1: TDBException e)
  // `name` empty = every function; `texts`: any of "ir", "opt_ir", "asm", "ptx".
  list<TUdfKernelDetails> udf_function_details(1: TSessionId session, 2: string name, 3: list<string> texts) throws (1: TDBException e)
  TUdfCacheStats udf_cache_stats(1: TSessionId session) throws (1: TDBException e)
  // Superuser only: forgets cached code (live functions keep theirs); returns the stats after.
  TUdfCacheStats udf_cache_clear(1: TSessionId session) throws (1: TDBException e)
  // The Prometheus text exposition (also served over HTTP with --metrics-port).
  string udf_metrics(1: TSessionId session) throws (1: TDBException e)
}
