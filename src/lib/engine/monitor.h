/* The monitor: one small process per running container (the role of
 * Podman's conmon), the program cell-monitor. The engine starts the
 * container in a process of its own and then execs this program there, so
 * that the monitor is the parent (and subreaper) of the container's init
 * and can learn its exit status. It
 *   - owns the container's stdio (pipes, or the pty master) and writes
 *     everything to the k8s-file log, rotating it;
 *   - serves attach on a unix socket: output to every client, input from
 *     them, terminal resizes;
 *   - on exit: drains the output, records "GENERATION CODE TIME" in the
 *     container's exit file, tells the clients, and then execs the engine's
 *     clean-up (`cell container cleanup`, which applies --rm and the restart
 *     policy), unless the owner (the `cell run` in the foreground) takes
 *     that over.
 * It uses the C library only, so that it stays small; it outlives the
 * `cell` command that started it.
 *
 * Arguments (all required unless noted):
 *   --dir-fd N        the container's directory (exit file, logs)
 *   --pid N           the container's init (our child)
 *   --gen N           the generation (start count) this run records
 *   --listen-fd N     the attach socket, listening
 *   --stdin-fd N --stdout-fd N --stderr-fd N   pipes (-1: none), or
 *   --pty-fd N        the terminal's master
 *   --owner-fd N      optional: the foreground client, already connected
 *   --stdin-once      optional: the stdin pipe closes when a client says EOF
 *   --log-max-size N --log-max-files N   0 size: no rotation
 *   --no-log          optional: keep no log file
 *   --no-sync         optional: do not flush the exit record (a --rm container)
 *   -- CMD ARG...     the clean-up command; the monitor adds
 *                     "--client-fds A,B,…" (clients it hands over) */
#pragma once

int monitor_main(int argc, char **argv);
