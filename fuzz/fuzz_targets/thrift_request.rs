//! Bytes → the server's Thrift request path on both ports (see `udf_server_fuzz::thrift_request`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    udf_server_fuzz::thrift_request(data);
});
