/// clavitor patch 7: request bodies up to this size are read by the
/// connection thread before the request reaches a worker (upstream: 1 KiB).
const PREREAD_LIMIT: usize = 1 << 20;

use std::collections::HashSet;
use std::io::Error as IoError;
use std::io::{self, Cursor, ErrorKind, Read, Write};

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use std::sync::mpsc::Sender;

use crate::util::{EqualReader, FusedReader};
use crate::{HTTPVersion, Headers, Method, Response, StatusCode};
use chunked_transfer::Decoder;

/// Represents an HTTP request made by a client.
///
/// A `Request` object is what is produced by the server, and is your what
/// your code must analyse and answer.
///
/// This object implements the `Send` trait, therefore you can dispatch your requests to
/// worker threads.
///
/// # Pipelining
///
/// If a client sends multiple requests in a row (without waiting for the response), then you will
/// get multiple `Request` objects simultaneously. This is called *requests pipelining*.
/// Tiny-http automatically reorders the responses so that you don't need to worry about the order
/// in which you call `respond` or `into_writer`.
///
/// This mechanic is disabled if:
///
///  - The body of a request is large enough (handling requires pipelining requires storing the
///    body of the request in a buffer ; if the body is too big, tiny-http will avoid doing that)
///  - A request sends a `Expect: 100-continue` header (which means that the client waits to
///    know whether its body will be processed before sending it)
///  - A request sends a `Connection: close` header or `Connection: upgrade` header (used for
///    websockets), which indicates that this is the last request that will be received on this
///    connection
///
/// # Automatic cleanup
///
/// If a `Request` object is destroyed without `into_writer` or `respond` being called,
/// an empty response with a 500 status code (internal server error) will automatically be
/// sent back to the client.
/// This means that if your code fails during the handling of a request, this "internal server
/// error" response will automatically be sent during the stack unwinding.
///
/// # Testing
///
/// If you want to build fake requests to test your server, use [`TestRequest`](crate::test::TestRequest).
pub struct Request 
{
    // where to read the body from
    data_reader: Option<Box<dyn Read + Send + 'static>>,

    // if this writer is empty, then the request has been answered
    response_writer: Option<Box<dyn Write + Send + 'static>>,

    remote_addr: Option<SocketAddr>,

    // true if HTTPS, false if HTTP
    secure: bool,

    method: Method,

    path: String,

    http_version: HTTPVersion,

    headers: Headers,

    body_length: Option<usize>,

    // true if a `100 Continue` response must be sent when `as_reader()` is called
    must_send_continue: bool,

    // If Some, a message must be sent after responding
    notify_when_responded: Option<Sender<()>>,
}

struct NotifyOnDrop<R> 
{
    sender: Sender<()>,
    inner: R,
}

impl<R: Read> Read for NotifyOnDrop<R> 
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> 
    {
        self.inner.read(buf)
    }
}

impl<R: Write> Write for NotifyOnDrop<R> 
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> 
    {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> 
    {
        self.inner.flush()
    }
}
impl<R> Drop for NotifyOnDrop<R> 
{
    fn drop(&mut self) 
    {
       let _ = self.sender.send(());
    }
}

/// Error that can happen when building a `Request` object.
#[derive(Debug)]
pub enum RequestCreationError 
{
    /// The client sent an `Expect` header that was not recognized by tiny-http.
    ExpectationFailed,

    /// For CVE-2026-66752 fix, by emmiting this, should be converted to error 400.
    ProtocolViolation,

    /// Error while reading data from the socket during the creation of the `Request`.
    CreationIoError(IoError),
}

impl From<IoError> for RequestCreationError 
{
    fn from(err: IoError) -> RequestCreationError 
    {
        RequestCreationError::CreationIoError(err)
    }
}

/// Builds a new request.
///
/// After the request line and headers have been read from the socket, a new `Request` object
/// is built.
///
/// You must pass a `Read` that will allow the `Request` object to read from the incoming data.
/// It is the responsibility of the `Request` to read only the data of the request and not further.
///
/// The `Write` object will be used by the `Request` to write the response.
#[allow(clippy::too_many_arguments)]
pub fn new_request<R, W>(
    secure: bool,
    method: Method,
    path: String,
    version: HTTPVersion,
    headers: Headers,
    remote_addr: Option<SocketAddr>,
    mut source_data: R,
    mut writer: W,
) -> Result<Request, RequestCreationError>
where
    R: Read + Send + 'static,
    W: Write + Send + 'static,
{
    // finding the transfer-encoding header
    let transfer_encoding_opt = headers.get("Transfer-Encoding");

    // clavitor patch 8: an unparsable or repeated Content-Length was read as
    // "no body" (or the first value won), so the body became the next
    // "request" and one request got two responses. RFC 9112 section 6.3:
    // an invalid Content-Length is an unrecoverable framing error, 400.
    let content_length: Option<usize> = 
        {
            let mut values = headers.0.iter().filter(|h| h.field.equiv("Content-Length"));
            match (values.next(), values.next())
            {
                (None, _) => None,
                (Some(h), None) =>
                {
                    let v = h.value.as_str();
                    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit())
                    {
                        return Err(RequestCreationError::ProtocolViolation);
                    }
                    Some(FromStr::from_str(v).map_err(|_| RequestCreationError::ProtocolViolation)?)
                },
                (Some(_), Some(_)) => return Err(RequestCreationError::ProtocolViolation),
            }
        };

    // As it adviced in CVE-2026-66752: 
    // "Reject a request that carries both Transfer-Encoding and Content-Length, as RFC 9112
    // section 6.3 requires for a server that is not a proxy, instead of silently ignoring 
    // Content-Length at line 150."
    if transfer_encoding_opt.is_some() == true && content_length.is_some() == true
    {
        // reject
        return Err(RequestCreationError::ProtocolViolation);
    }

    // true if the client sent a `Expect: 100-continue` header
    let expects_continue = 
        {
            let res = 
                headers
                    .get("Expect")
                    .map(|h| h.as_str());

            match res
            {
                None => 
                    false,
                Some(v) if v.eq_ignore_ascii_case("100-continue") => 
                    true,
                _ => 
                    return Err(RequestCreationError::ExpectationFailed),
            }
        };

    // true if the client sent a `Connection: upgrade` header
    let connection_upgrade = 
        {
            match headers
                .get("Connection")
                .map(|h| h.as_str())
            {
                Some(v) if v.to_ascii_lowercase().contains("upgrade") => true,
                _ => false,
            }
        };

    // we wrap `source_data` around a reading whose nature depends on the transfer-encoding and
    // content-length headers
    let reader = 
        if connection_upgrade == true
        {
            // if we have a `Connection: upgrade`, always keeping the whole reader
            Box::new(source_data) as Box<dyn Read + Send + 'static>
        } 
        else if let Some(content_length) = content_length 
        {
            if content_length == 0 
            {
                Box::new(io::empty()) as Box<dyn Read + Send + 'static>
            } 
            else if content_length <= PREREAD_LIMIT
            {
                // clavitor patch 9: a client that sent `Expect: 100-continue`
                // waits for the interim answer before it sends the body. It was
                // sent by the worker that took the request, which then waited
                // for the body; eight silent clients held every worker. The
                // interim answer is now sent here, on the connection's thread,
                // and the body read here like any other.
                if expects_continue
                {
                    send_continue(&mut writer)?;
                }
                // clavitor patch 7: bodies up to PREREAD_LIMIT are read here, on
                // the connection's own thread, so a client trickling a body never
                // holds a server worker. The buffer grows with what arrives (not
                // with what was declared), so a large Content-Length costs nothing
                // until the bytes are really sent.
                let buffer = preread(&mut source_data, content_length)?;
                let got = buffer.len();
                if got != content_length {
                    // the socket returned EOF, but we were before the expected content-length
                    // aborting
                    let info = "Connection has been closed before we received enough data";
                    let err = IoError::new(ErrorKind::ConnectionAborted, info);
                    return Err(RequestCreationError::CreationIoError(err));
                }

                Box::new(buffer) as Box<dyn Read + Send + 'static>
            } 
            else 
            {
                let (data_reader, _) = EqualReader::new(source_data, content_length); // TODO:
                Box::new(FusedReader::new(data_reader)) as Box<dyn Read + Send + 'static>
            }
        } 
        else if let Some(transfer_encoding) = transfer_encoding_opt
        {
            // attempting to parse, I have no idea what was the point to use an asciistring, when a simple verification of the 
            // String for ASCII range would be enough, and this complicates everything.
            let params = 
                transfer_encoding
                    .as_str()
                    .split(',')
                    .map(|v| v.trim_start())
                    .collect::<Vec<&str>>();

            // if I got it right the:
            // Transfer-Encoding: gzip, chunked is valid
            // Transfer-Encoding: chunked, gzip violates the spec
            if params.is_empty() == true
            {
                // reject
                return Err(RequestCreationError::ProtocolViolation);
            }

            const KNOWN_TRANSFER_ENCS: &'static [&'static str] = &["chunked", "gzip", "deflate", "compress"];

            // go though all params to detemine if there are invalid combinations
            if params.len() > 1
            {
                let mut hte: HashSet<&&str> = KNOWN_TRANSFER_ENCS.into_iter().collect::<HashSet<&&str>>();
                for p in params.iter()
                {
                    if hte.remove(p) == false
                    {
                        // reject duplicate or unknown
                        return Err(RequestCreationError::ProtocolViolation);
                    }
                }
            }
            
            // the last is chunked always
            if params.last() != Some(&"chunked")
            {
                // reject duplicate
                return Err(RequestCreationError::ProtocolViolation);
            }

            // clavitor patch 9: a chunked body was read by the worker that took
            // the request, so a client that sent the headers and then nothing
            // held that worker until the idle timeout. Up to PREREAD_LIMIT
            // decoded bytes are now read here, on the connection's thread;
            // only a longer body (an import) reaches a worker unread, where
            // clavitor bounds the wait (`http/reaper.rs`, `body_deadline`).
            if expects_continue
            {
                send_continue(&mut writer)?;
            }
            let mut decoder = Decoder::new(source_data);
            let head = preread(&mut decoder, PREREAD_LIMIT + 1)?;
            if head.len() <= PREREAD_LIMIT
            {
                Box::new(head) as Box<dyn Read + Send + 'static>
            }
            else
            {
                Box::new(head.chain(FusedReader::new(decoder))) as Box<dyn Read + Send + 'static>
            }
        } 
        else 
        {
            // if we have neither a Content-Length nor a Transfer-Encoding,
            // assuming that we have no data
            // TODO: could also be multipart/byteranges
            Box::new(io::empty()) as Box<dyn Read + Send + 'static>
        };

    return Ok(
        Request 
        {
            data_reader: Some(reader),
            response_writer: Some(Box::new(writer) as Box<dyn Write + Send + 'static>),
            remote_addr,
            secure,
            method,
            path,
            http_version: version,
            headers,
            body_length: content_length,
            // clavitor patch 9: the interim answer was sent above for every
            // body read here; only a large Content-Length body still needs it.
            must_send_continue: expects_continue && content_length.is_some_and(|n| n > PREREAD_LIMIT),
            notify_when_responded: None,
        }
    );
}

/// clavitor patch 9: the interim `100 Continue`, written by the connection's
/// thread before it reads the body the client holds back until it sees it.
fn send_continue<W: Write>(writer: &mut W) -> Result<(), RequestCreationError>
{
    writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    writer.flush()?;
    Ok(())
}

/// clavitor patch 10: bytes of request bodies held by connection threads,
/// all connections together. 200 clients each sending a 1 MiB body and
/// then nothing took the server from 9 to 215 MiB; a body being read now
/// reserves its bytes here as they arrive, and waits while the total is
/// at the cap (the client is not read, so TCP pushes back on it).
pub const PREREAD_BUDGET: usize = 64 << 20;
/// Bytes reserved at a time.
const PREREAD_STEP: usize = 64 << 10;

static PREREAD_USED: std::sync::Mutex<usize> = std::sync::Mutex::new(0);
static PREREAD_FREED: std::sync::Condvar = std::sync::Condvar::new();

/// Bytes of request bodies currently held by connection threads.
pub fn preread_in_use() -> usize
{
    *PREREAD_USED.lock().unwrap_or_else(|e| e.into_inner())
}

fn reserve(n: usize)
{
    let mut used = PREREAD_USED.lock().unwrap_or_else(|e| e.into_inner());
    while *used + n > PREREAD_BUDGET
    {
        used = PREREAD_FREED.wait(used).unwrap_or_else(|e| e.into_inner());
    }
    *used += n;
}

fn release(n: usize)
{
    if n == 0
    {
        return;
    }
    let mut used = PREREAD_USED.lock().unwrap_or_else(|e| e.into_inner());
    *used = used.saturating_sub(n);
    PREREAD_FREED.notify_all();
}

/// A request body read ahead by the connection's thread; its bytes count
/// against [`PREREAD_BUDGET`] until it is dropped.
struct Preread
{
    data: Cursor<Vec<u8>>,
    reserved: usize,
}

impl Preread
{
    fn len(&self) -> usize
    {
        self.data.get_ref().len()
    }
}

impl Read for Preread
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>
    {
        self.data.read(buf)
    }
}

impl Drop for Preread
{
    fn drop(&mut self)
    {
        release(self.reserved);
    }
}

/// Reads up to `max` bytes, reserving budget as they arrive: the buffer
/// grows with what the client really sends, not with what it declared.
fn preread<R: Read>(source: &mut R, max: usize) -> Result<Preread, RequestCreationError>
{
    let mut out = Preread { data: Cursor::new(Vec::new()), reserved: 0 };
    loop
    {
        let have = out.len();
        if have >= max
        {
            return Ok(out);
        }
        let step = PREREAD_STEP.min(max - have);
        reserve(step);
        out.reserved += step;
        let got = (&mut *source)
            .take(step as u64)
            .read_to_end(out.data.get_mut())
            .map_err(RequestCreationError::CreationIoError)?;
        if got < step
        {
            // End of the body (or of the stream); give back what was not used.
            release(step - got);
            out.reserved -= step - got;
            return Ok(out);
        }
    }
}

impl Request {
    /// Returns true if the request was made through HTTPS.
    #[inline]
    pub 
    fn secure(&self) -> bool 
    {
        self.secure
    }

    /// Returns the method requested by the client (eg. `GET`, `POST`, etc.).
    #[inline]
    pub 
    fn method(&self) -> &Method 
    {
        &self.method
    }

    /// Returns the resource requested by the client.
    #[inline]
    pub 
    fn url(&self) -> &str 
    {
        &self.path
    }

    /// Returns a list of all headers sent by the client.
    #[inline]
    pub 
    fn headers(&self) -> &Headers 
    {
        &self.headers
    }

    /// Returns the HTTP version of the request.
    #[inline]
    pub 
    fn http_version(&self) -> &HTTPVersion 
    {
        &self.http_version
    }

    /// Returns the length of the body in bytes.
    ///
    /// Returns `None` if the length is unknown.
    #[inline]
    pub 
    fn body_length(&self) -> Option<usize> 
    {
        self.body_length
    }

    /// Returns the address of the client that sent this request.
    ///
    /// The address is always `Some` for TCP listeners, but always `None` for UNIX listeners
    /// (as the remote address of a UNIX client is almost always unnamed).
    ///
    /// Note that this is gathered from the socket. If you receive the request from a proxy,
    /// this function will return the address of the proxy and not the address of the actual
    /// user.
    #[inline]
    pub 
    fn remote_addr(&self) -> Option<&SocketAddr> 
    {
        self.remote_addr.as_ref()
    }

    /// Sends a response with a `Connection: upgrade` header, then turns the `Request` into a `Stream`.
    ///
    /// The main purpose of this function is to support websockets.
    /// If you detect that the request wants to use some kind of protocol upgrade, you can
    ///  call this function to obtain full control of the socket stream.
    ///
    /// If you call this on a non-websocket request, tiny-http will wait until this `Stream` object
    ///  is destroyed before continuing to read or write on the socket. Therefore you should always
    ///  destroy it as soon as possible.
    pub 
    fn upgrade<R: Read>(mut self, protocol: &str, response: Response<R>) -> io::Result<Box<dyn ReadWrite + Send>> 
    {
        use crate::util::CustomStream;

        response
            .raw_print(
                self.response_writer.as_mut().unwrap().by_ref(),
                self.http_version.clone(),
                Some(&self.headers),
                false,
                Some(protocol),
            )?;

        self.response_writer.as_mut().unwrap().flush()?; // TODO: unused result

        let stream = CustomStream::new(self.extract_reader_impl(), self.extract_writer_impl());
        if let Some(sender) = self.notify_when_responded.take() 
        {
            let stream = 
                NotifyOnDrop 
                {
                    sender,
                    inner: stream,
                };
            return Ok( Box::new(stream) as Box<dyn ReadWrite + Send> );
        } 
        else 
        {
            return Ok( Box::new(stream) as Box<dyn ReadWrite + Send> );
        }
    }

    /// Allows to read the body of the request.
    ///
    /// # Example
    ///
    /// ```ignore
    /// # extern crate rustc_serialize;
    /// # extern crate tiny_http_fork;
    /// # use rustc_serialize::json::Json;
    /// # use std::io::Read;
    /// # fn get_content_type(_: &tiny_http_fork::Request) -> &'static str { "" }
    /// # fn main() {
    /// # let server = tiny_http_fork::Server::http("0.0.0.0:0").unwrap();
    /// let mut request = server.recv().unwrap();
    ///
    /// if get_content_type(&request) == "application/json" {
    ///     let mut content = String::new();
    ///     request.as_reader().read_to_string(&mut content).unwrap();
    ///     let json: Json = content.parse().unwrap();
    /// }
    /// # }
    /// ```
    ///
    /// If the client sent a `Expect: 100-continue` header with the request, calling this
    ///  function will send back a `100 Continue` response.
    #[inline]
    pub 
    fn as_reader(&mut self) -> &mut dyn Read 
    {
        if self.must_send_continue 
        {
            let msg = Response::new_empty(StatusCode::CONTINUE);
            msg.raw_print(
                self.response_writer.as_mut().unwrap().by_ref(),
                self.http_version.clone(),
                Some(&self.headers),
                true,
                None,
            )
            .ok();

            self.response_writer.as_mut().unwrap().flush().ok();
            self.must_send_continue = false;
        }

        self.data_reader.as_mut().unwrap()
    }

    /// Turns the `Request` into a writer.
    ///
    /// The writer has a raw access to the stream to the user.
    /// This function is useful for things like CGI.
    ///
    /// Note that the destruction of the `Writer` object may trigger
    /// some events. For exemple if a client has sent multiple requests and the requests
    /// have been processed in parallel, the destruction of a writer will trigger
    /// the writing of the next response.
    /// Therefore you should always destroy the `Writer` as soon as possible.
    #[inline]
    pub fn into_writer(mut self) -> Box<dyn Write + Send + 'static> 
    {
        let writer = self.extract_writer_impl();
        if let Some(sender) = self.notify_when_responded.take() 
        {
            let writer = 
                NotifyOnDrop 
                {
                    sender,
                    inner: writer,
                };
            Box::new(writer) as Box<dyn Write + Send + 'static>
        } else {
            writer
        }
    }

    /// Extract the response `Writer` object from the Request, dropping this `Writer` has the same side effects
    /// as the object returned by `into_writer` above.
    ///
    /// This may only be called once on a single request.
    fn extract_writer_impl(&mut self) -> Box<dyn Write + Send + 'static> {
        use std::mem;

        assert!(self.response_writer.is_some());

        let mut writer = None;
        mem::swap(&mut self.response_writer, &mut writer);
        writer.unwrap()
    }

    /// Extract the body `Reader` object from the Request.
    ///
    /// This may only be called once on a single request.
    fn extract_reader_impl(&mut self) -> Box<dyn Read + Send + 'static> {
        use std::mem;

        assert!(self.data_reader.is_some());

        let mut reader = None;
        mem::swap(&mut self.data_reader, &mut reader);
        reader.unwrap()
    }

    /// Sends a response to this request.
    #[inline]
    pub fn respond<R>(mut self, response: Response<R>) -> Result<(), IoError>
    where
        R: Read,
    {
        let res = self.respond_impl(response);
        if let Some(sender) = self.notify_when_responded.take() 
        {
            let _ = sender.send(());
        }
        res
    }

    fn respond_impl<R>(&mut self, response: Response<R>) -> Result<(), IoError>
    where
        R: Read,
    {
        let mut writer = self.extract_writer_impl();

        let do_not_send_body = self.method == Method::Head;

        Self::ignore_client_closing_errors(response.raw_print(
            writer.by_ref(),
            self.http_version.clone(),
            Some(&self.headers),
            do_not_send_body,
            None,
        ))?;

        Self::ignore_client_closing_errors(writer.flush())
    }

    fn ignore_client_closing_errors(result: io::Result<()>) -> io::Result<()> 
    {
        result.or_else(|err| match err.kind() 
        {
            ErrorKind::BrokenPipe => Ok(()),
            ErrorKind::ConnectionAborted => Ok(()),
            ErrorKind::ConnectionRefused => Ok(()),
            ErrorKind::ConnectionReset => Ok(()),
            _ => Err(err),
        })
    }

    pub(crate) fn with_notify_sender(mut self, sender: Sender<()>) -> Self {
        self.notify_when_responded = Some(sender);
        self
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> Result<(), fmt::Error> {
        write!(
            formatter,
            "Request({} {} from {:?})",
            self.method, self.path, self.remote_addr
        )
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        if self.response_writer.is_some() {
            let response = Response::empty(500);
            let _ = self.respond_impl(response); // ignoring any potential error
            if let Some(sender) = self.notify_when_responded.take() {
                sender.send(()).unwrap();
            }
        }
    }
}

/// Dummy trait that regroups the `Read` and `Write` traits.
///
/// Automatically implemented on all types that implement both `Read` and `Write`.
pub trait ReadWrite: Read + Write {}
impl<T> ReadWrite for T where T: Read + Write {}

#[cfg(test)]
mod tests {
    use super::Request;

    #[test]
    fn must_be_send() {
        #![allow(dead_code)]
        fn f<T: Send>(_: &T) {}
        fn bar(rq: &Request) {
            f(rq);
        }
    }
}
