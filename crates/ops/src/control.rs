//! The control socket: how `remote`, `rpc`, `stop`, `upgrade` and a successor process talk to a
//! running instance.
//!
//! A Unix stream socket, mode 0600 in a 0700 directory, that also checks each peer's
//! credentials (same uid, or root): file permissions alone can be loosened by accident, the
//! kernel's `SO_PEERCRED` cannot be forged. Never a network port.
//!
//! The protocol is JSON lines: the client sends a [`Request`], the instance answers with a
//! [`Reply`], as many times as the client likes on one connection. A reply may carry file
//! descriptors (`SCM_RIGHTS`): that is how the listening sockets reach a successor.

use std::io::{self, BufRead as _, BufReader, IoSlice, IoSliceMut, Write as _};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::path::{Path, PathBuf};

use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{UnixListener, UnixStream};

/// A request line longer than this is not a console command.
const REQUEST_LENGTH_MAX: usize = 64 * 1024;

/// How long a refused peer may take to send its request before it is told why.
const REFUSAL_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// The most descriptors one reply carries (the listening sockets).
const FDS_MAX: usize = 8;

/// One request line: `{"command": "status"}` (a console command as typed: `status`,
/// `log-level debug`, `audit verify`), or `{"handoff": …}`, a message of a replacement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// A console command line.
    Command(String),
    /// A replacement's message (see [`crate::handoff`]).
    Handoff(crate::handoff::Message),
}

/// The instance's answer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Reply {
    /// Whether the command succeeded; `rpc` exits 0 or 1 accordingly.
    pub ok: bool,
    /// What to print: the result, or one line saying what is wrong and what to do.
    pub output: String,
}

impl Reply {
    /// A success printing `output`.
    pub fn ok(output: impl Into<String>) -> Reply {
        Reply {
            ok: true,
            output: output.into(),
        }
    }

    /// A failure explained by `output`.
    pub fn error(output: impl Into<String>) -> Reply {
        Reply {
            ok: false,
            output: output.into(),
        }
    }
}

/// Who is on the other end of a control connection.
#[derive(Clone, Copy, Debug)]
pub struct Peer {
    /// Their process id, when the kernel knows it.
    pub pid: Option<u32>,
    /// Their user id.
    pub uid: u32,
}

/// A bound control socket, removed again when dropped if the path still names it (a successor
/// renames its own socket over the path; that one must survive us).
#[derive(Debug)]
pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
    inode: (u64, u64),
}

/// Why the socket could not be bound.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// Another instance answers on the path.
    #[error("another instance is running and answers on {0}")]
    InUse(PathBuf),
    /// The file system said no.
    #[error("cannot create the control socket {path}: {source}")]
    Io {
        /// The socket path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

impl ControlSocket {
    /// Binds at `path`, mode 0600. A stale socket left by a killed instance is replaced; one
    /// that answers is not.
    pub fn bind(path: &Path) -> Result<ControlSocket, BindError> {
        if std::fs::symlink_metadata(path).is_ok() {
            if is_answering(path) {
                return Err(BindError::InUse(path.to_owned()));
            }
            std::fs::remove_file(path).map_err(|source| io_error(path, source))?;
        }
        if let Some(dir) = path.parent() {
            crate::layout::create_private_dir(dir).map_err(|source| io_error(dir, source))?;
        }
        let listener = UnixListener::bind(path).map_err(|source| io_error(path, source))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|source| io_error(path, source))?;
        let inode = inode_of(path).map_err(|source| io_error(path, source))?;
        Ok(ControlSocket {
            listener,
            path: path.to_owned(),
            inode,
        })
    }

    /// Where it is bound now.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the socket to `path` in one step (`rename(2)`), replacing whatever is there: how a
    /// successor takes over the well-known path without a moment in which nobody answers.
    pub fn rename_to(&mut self, path: &Path) -> io::Result<()> {
        std::fs::rename(&self.path, path)?;
        path.clone_into(&mut self.path);
        Ok(())
    }

    /// The next connection from an allowed peer. Others are told why and dropped.
    pub async fn accept(&self) -> io::Result<Session> {
        loop {
            let (stream, _) = self.listener.accept().await?;
            let credentials = stream.peer_cred()?;
            let peer = Peer {
                pid: credentials.pid().and_then(|pid| u32::try_from(pid).ok()),
                uid: credentials.uid(),
            };
            let mut session = Session::new(stream, peer);
            let owner = crate::process::effective_uid();
            if peer.uid == 0 || peer.uid == owner {
                return Ok(session);
            }
            tracing::warn!(uid = peer.uid, pid = ?peer.pid, "control connection from another user refused");
            let refusal = Reply::error(format!(
                "refused: uid {} may not control this instance; run the command as the user that runs it (uid {owner}) or root",
                peer.uid
            ));
            // Answer its request rather than close on it: a client still writing to a closed
            // socket would see a broken pipe instead of the reason.
            tokio::spawn(async move {
                tokio::time::timeout(REFUSAL_READ_TIMEOUT, session.next_request())
                    .await
                    .ok();
                session.reply(&refusal).await.ok();
            });
        }
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        if inode_of(&self.path).is_ok_and(|inode| inode == self.inode) {
            std::fs::remove_file(&self.path).ok();
        }
    }
}

/// One accepted connection.
#[derive(Debug)]
pub struct Session {
    stream: tokio::io::BufReader<UnixStream>,
    peer: Peer,
}

impl Session {
    fn new(stream: UnixStream, peer: Peer) -> Session {
        Session {
            stream: tokio::io::BufReader::new(stream),
            peer,
        }
    }

    /// Who is connected.
    #[must_use]
    pub fn peer(&self) -> Peer {
        self.peer
    }

    /// The next request, or `None` once the client hung up. A malformed line is answered
    /// here and skipped.
    pub async fn next_request(&mut self) -> io::Result<Option<Request>> {
        loop {
            let mut line = String::new();
            let read = (&mut self.stream)
                .take(REQUEST_LENGTH_MAX as u64)
                .read_line(&mut line)
                .await?;
            if read == 0 {
                return Ok(None);
            }
            match serde_json::from_str(&line) {
                Ok(request) => return Ok(Some(request)),
                Err(err) => {
                    let reply = Reply::error(format!(
                        "not a control request ({err}): send one JSON object per line, {{\"command\": \"help\"}}"
                    ));
                    self.reply(&reply).await?;
                }
            }
        }
    }

    /// Answers the last request.
    pub async fn reply(&mut self, reply: &Reply) -> io::Result<()> {
        let line = encode(reply)?;
        let stream = self.stream.get_mut();
        stream.write_all(&line).await?;
        stream.flush().await
    }

    /// Answers the last request and passes `fds` along with the answer.
    pub async fn reply_with_fds(
        &mut self,
        reply: &Reply,
        fds: &[BorrowedFd<'_>],
    ) -> io::Result<()> {
        let line = encode(reply)?;
        let stream = self.stream.get_ref();
        let mut sent = 0;
        // The descriptors ride on the first byte; the rest of the line follows plainly.
        while sent == 0 {
            stream.writable().await?;
            match stream.try_io(tokio::io::Interest::WRITABLE, || {
                send_with_fds(stream, &line, fds)
            }) {
                Ok(count) => sent = count,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(err) => return Err(err),
            }
        }
        let stream = self.stream.get_mut();
        stream.write_all(&line[sent..]).await?;
        stream.flush().await
    }
}

/// A client of the control socket (blocking: the CLI has nothing else to do meanwhile).
#[derive(Debug)]
pub struct Client {
    reader: BufReader<StdUnixStream>,
}

impl Client {
    /// Connects to the instance at `path`.
    pub fn connect(path: &Path) -> io::Result<Client> {
        Ok(Client {
            reader: BufReader::new(StdUnixStream::connect(path)?),
        })
    }

    /// Sends the console command `command` and waits for the reply.
    pub fn call(&mut self, command: &str) -> io::Result<Reply> {
        self.request(&Request::Command(command.to_owned()))
    }

    /// Sends `request` and waits for the reply.
    pub fn request(&mut self, request: &Request) -> io::Result<Reply> {
        self.send(request)?;
        self.read_reply()
    }

    /// Sends `request` and waits for a reply carrying file descriptors.
    pub fn request_fds(&mut self, request: &Request) -> io::Result<(Reply, Vec<OwnedFd>)> {
        self.send(request)?;
        let mut first = [0u8; 1];
        let fds = receive_with_fds(self.reader.get_ref(), &mut first)?;
        let mut line = vec![first[0]];
        self.reader.read_until(b'\n', &mut line)?;
        Ok((decode(&line)?, fds))
    }

    fn send(&mut self, request: &Request) -> io::Result<()> {
        let request = encode(request)?;
        let stream = self.reader.get_mut();
        stream.write_all(&request)?;
        stream.flush()
    }

    fn read_reply(&mut self) -> io::Result<Reply> {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line)?;
        decode(&line)
    }
}

/// Whether an instance answers at `path`.
#[must_use]
pub fn is_answering(path: &Path) -> bool {
    StdUnixStream::connect(path).is_ok()
}

fn encode(value: &impl Serialize) -> io::Result<Vec<u8>> {
    let mut line = serde_json::to_vec(value).map_err(io::Error::other)?;
    line.push(b'\n');
    Ok(line)
}

fn decode(line: &[u8]) -> io::Result<Reply> {
    if line.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the instance closed the connection without answering",
        ));
    }
    serde_json::from_slice(line).map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))
}

fn send_with_fds(socket: impl AsFd, bytes: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<usize> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(FDS_MAX))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(fds)) {
        return Err(io::Error::other("too many descriptors for one message"));
    }
    Ok(rustix::net::sendmsg(
        socket,
        &[IoSlice::new(&bytes[..1])],
        &mut control,
        SendFlags::NOSIGNAL,
    )?)
}

fn receive_with_fds(socket: impl AsFd, first: &mut [u8; 1]) -> io::Result<Vec<OwnedFd>> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(FDS_MAX))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let received = rustix::net::recvmsg(
        socket,
        &mut [IoSliceMut::new(first)],
        &mut control,
        RecvFlags::CMSG_CLOEXEC,
    )?;
    if received.bytes == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the instance closed the connection without answering",
        ));
    }
    let mut fds = Vec::new();
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmRights(passed) = message {
            fds.extend(passed);
        }
    }
    Ok(fds)
}

fn inode_of(path: &Path) -> io::Result<(u64, u64)> {
    let metadata = std::fs::symlink_metadata(path)?;
    Ok((metadata.dev(), metadata.ino()))
}

fn io_error(path: &Path, source: io::Error) -> BindError {
    BindError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_are_answered_and_descriptors_travel_with_replies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control.sock");
        let socket = ControlSocket::bind(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let mut session = socket.accept().await.unwrap();
            let request = session.next_request().await.unwrap().unwrap();
            assert_eq!(request, Request::Command("status".to_owned()));
            session.reply(&Reply::ok("fine")).await.unwrap();
            let takeover = session.next_request().await.unwrap().unwrap();
            assert_eq!(
                takeover,
                Request::Handoff(crate::handoff::Message::Takeover)
            );
            session
                .reply_with_fds(&Reply::ok("here"), &[listener.as_fd()])
                .await
                .unwrap();
            assert!(session.next_request().await.unwrap().is_none());
        });
        let client_path = path.clone();
        let passed = tokio::task::spawn_blocking(move || {
            let mut client = Client::connect(&client_path).unwrap();
            assert_eq!(client.call("status").unwrap(), Reply::ok("fine"));
            let takeover = Request::Handoff(crate::handoff::Message::Takeover);
            let (reply, mut fds) = client.request_fds(&takeover).unwrap();
            assert_eq!(reply, Reply::ok("here"));
            assert_eq!(fds.len(), 1);
            std::net::TcpListener::from(fds.remove(0))
        })
        .await
        .unwrap();
        server.await.unwrap();
        assert_eq!(passed.local_addr().unwrap(), address);
    }

    #[tokio::test]
    async fn a_socket_that_answers_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control.sock");
        let _running = ControlSocket::bind(&path).unwrap();
        assert!(matches!(
            ControlSocket::bind(&path),
            Err(BindError::InUse(_))
        ));
    }

    #[tokio::test]
    async fn a_stale_socket_is_replaced_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control.sock");
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let socket = ControlSocket::bind(&path).unwrap();
        assert!(is_answering(&path));
        drop(socket);
        assert!(!path.exists());
    }
}
