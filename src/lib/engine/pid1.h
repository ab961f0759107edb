/* cell-init, the program --init runs as a container's pid 1 (bound into
 * the container at /run/cell-init): it starts the command as its child,
 * passes on every signal it gets to that child, reaps every zombie that
 * ends up with it (orphans of the container are reparented to pid 1), and
 * exits with the child's status (128+N when signal N ended it). The child
 * gets a process group of its own and, on a terminal, the foreground.
 *
 *   cell-init -- COMMAND [ARG...]
 *
 * C library only: it is linked statically and runs in any image. */
#pragma once

int pid1_main(int argc, char **argv);
