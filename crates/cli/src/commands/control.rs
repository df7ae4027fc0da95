//! `pid`, `stop`, `rpc`, `remote`: commands that talk to the running instance over its
//! control socket.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use ops::control::Client;
use ops::layout::RuntimeFiles;

use crate::config::{self, Environment};
use crate::exit::{self, Exit};

use crate::app::EXIT_WAIT;

/// The runtime files of the instance this command's environment points at. Needs no valid
/// configuration beyond where things are.
pub(crate) fn runtime_files(env_file: Option<&Path>) -> anyhow::Result<RuntimeFiles> {
    let environment =
        Environment::from_process(env_file).map_err(|report| super::config_failure(&report))?;
    let dir = config::runtime_dir(&environment, ops::layout::release_root().as_deref());
    Ok(RuntimeFiles::in_dir(&dir))
}

/// Connects to the running instance, or explains that none runs (exit 69).
pub(crate) fn connect(files: &RuntimeFiles) -> anyhow::Result<Client> {
    Client::connect(&files.control_socket).map_err(|err| {
        let hint = if err.kind() == std::io::ErrorKind::PermissionDenied {
            "run the command as the user that runs the instance, or root"
        } else {
            "start one with `daemon` or `start`, or point RUNTIME_DIRECTORY/DATA_DIR where it runs"
        };
        Exit::new(
            exit::UNAVAILABLE,
            format!(
                "no instance answers on {} ({err}): {hint}",
                files.control_socket.display()
            ),
        )
        .into()
    })
}

/// One console command on the running instance; a failed reply is an error.
pub(crate) fn call(client: &mut Client, command: &str) -> anyhow::Result<String> {
    let reply = client.call(command).map_err(|err| {
        Exit::new(
            exit::UNAVAILABLE,
            format!("the instance did not answer: {err}"),
        )
    })?;
    if reply.ok {
        Ok(reply.output)
    } else {
        Err(anyhow::anyhow!(reply.output))
    }
}

/// The running instance's pid.
pub(crate) fn running_pid(files: &RuntimeFiles) -> anyhow::Result<u32> {
    let output = call(&mut connect(files)?, "pid")?;
    output
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("the instance answered `pid` with {output:?}"))
}

/// `pid`: prints the running instance's pid.
pub fn pid(env_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    println!("{}", running_pid(&runtime_files(env_file)?)?);
    Ok(ExitCode::SUCCESS)
}

/// `stop`: asks the instance to stop (`SIGTERM`: stop accepting, drain, exit) and waits until
/// the process is gone.
pub fn stop(env_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let files = runtime_files(env_file)?;
    let pid = running_pid(&files)?;
    let started = Instant::now();
    ops::process::terminate(pid)
        .map_err(|err| anyhow::anyhow!("cannot signal pid {pid}: {err}"))?;
    if !ops::process::wait_gone(pid, EXIT_WAIT) {
        return Err(anyhow::anyhow!(
            "pid {pid} is still running {} s after SIGTERM: check its log for requests that will not finish; `kill -9 {pid}` only as a last resort",
            EXIT_WAIT.as_secs()
        ));
    }
    println!("stopped pid {pid} in {} ms", started.elapsed().as_millis());
    Ok(ExitCode::SUCCESS)
}

/// `rpc "<command>"`: runs one console command, prints the result, exits 0 or 1.
pub fn rpc(env_file: Option<&Path>, command: &str) -> anyhow::Result<ExitCode> {
    let files = runtime_files(env_file)?;
    let reply = connect(&files)?.call(command).map_err(|err| {
        Exit::new(
            exit::UNAVAILABLE,
            format!("the instance did not answer: {err}"),
        )
    })?;
    if reply.ok {
        println!("{}", reply.output);
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: {}", reply.output);
        Ok(ExitCode::FAILURE)
    }
}

/// `remote`: an interactive console attached to the running instance.
pub fn remote(env_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let files = runtime_files(env_file)?;
    // Fail here, clearly, rather than at the first command typed.
    drop(connect(&files)?);
    repl(&files.control_socket, &files.console_history);
    Ok(ExitCode::SUCCESS)
}

/// Reads console commands with line editing and history until `quit` or end of input, and
/// prints each answer. Also the console of `console` (`start_iex`).
pub fn repl(socket: &Path, history: &Path) {
    let Ok(mut client) = Client::connect(socket) else {
        eprintln!("error: no instance answers on {}", socket.display());
        return;
    };
    let Ok(mut editor) = rustyline::DefaultEditor::new() else {
        eprintln!("error: cannot set up the line editor");
        return;
    };
    editor.load_history(history).ok();
    println!("donation_platform console: `help` lists the commands, `quit` (or Ctrl-D) leaves");
    loop {
        let line = match editor.readline("donation_platform> ") {
            Ok(line) => line,
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(_) => break,
        };
        let command = line.trim();
        if command.is_empty() {
            continue;
        }
        editor.add_history_entry(command).ok();
        if matches!(command, "quit" | "exit") {
            break;
        }
        match client.call(command) {
            Ok(reply) if reply.ok => println!("{}", reply.output),
            Ok(reply) => println!("error: {}", reply.output),
            Err(err) => {
                eprintln!("error: the instance went away ({err})");
                break;
            }
        }
    }
    if editor.save_history(history).is_ok() {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(history, std::fs::Permissions::from_mode(0o600)).ok();
    }
}
