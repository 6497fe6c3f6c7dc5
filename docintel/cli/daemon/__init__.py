"""A long-lived local process that answers ``docintel ask/search/pack/plan`` with everything already loaded.

A question from the shell used to pay for Python's imports, the tokenizer, the ONNX session, reading the corpus and
opening its index before any work (~1.3 s of CPU on a 1M-token corpus); the work itself takes a tenth of that. The
first such command starts this process in the background (it stops after ``DOCINTEL_DAEMON_IDLE`` seconds without
a request, 600 by default); later commands hand it their arguments, environment, working folder and terminal
(the file descriptors themselves, over a unix socket), and it runs them exactly as the command would, with the
corpus and its index kept open between questions. ``DOCINTEL_DAEMON=0`` turns it off.

- ``address``: which process serves which caller (same user, same ``$DOCINTEL_HOME``, same docintel code and
  settings) and the socket it listens on; light enough for the launcher to import.
- ``client``: the launcher's side: hand a command over, or run it here and start the process for next time.
- ``server``: the process: accept, run one command at a time, stop when idle.
- ``pool``: the corpora it keeps open (re-read when a file changed).
"""
