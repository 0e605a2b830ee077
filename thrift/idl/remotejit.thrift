// rbc-project's RemoteJIT protocol (rbc 0.13.0: rbc/remotejit.thrift with its includes
// thrift/info.thrift and thrift/types.thrift), the subset udf-server serves on its
// `--remotejit-port`. See shared/protocols/rbc-remotejit.md.
//
// Calls arrive multiplexed (`info:thrift_content`, `remotejit:compile`); replies carry
// the bare method name. Field ids are the wire contract: only ever append.
//
// The client builds its stubs from the text `info:thrift_content` returns
// (`udf_thrift::remotejit::CLIENT_IDL`), which must declare the same types and the
// `remotejit` service exactly as below.

enum ExceptionKind { EXC_MESSAGE = 0, EXC_TBLIB = 1 }
enum DataKind { DATA_RAW = 0, DATA_ENCODED = 1, DATA_PICKLED = 2 }
exception Exception { 1: ExceptionKind kind; 2: string message; }
struct Data { 1: DataKind kind; 2: string info; 3: binary data; }

service info {
  // The IDL text the client parses (with thriftpy2) to build its remotejit stubs.
  string thrift_content(),
  // `nvidia-smi -q` on rbc's own server; unused by the client, refused here.
  string nvidia_smi_query(),
}

service remotejit {
  map<string, string> targets() throws (1: Exception e),
  bool compile(1: string name, 2: string signatures, 3: string ir) throws (1: Exception e),
  Data call(1: string fullname, 2: Data arguments) throws (1: Exception e),
  bool python(1: string statement) throws (1: Exception e),
}
