# Sourced by the tools/*.sh launchers: sets PYTHON to the interpreter to run.
#   PYTHON set          -> used as it is
#   else the project's environment, $VENV (default .venv, relative to the
#        repository root, as scripts/setup_env.sh creates it), if it exists
#   else python from PATH
_semples_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${PYTHON:-}" ]; then
  _semples_venv="${VENV:-.venv}"
  case "$_semples_venv" in
    /*) ;;
    *) _semples_venv="$_semples_root/$_semples_venv" ;;
  esac
  if [ -x "$_semples_venv/bin/python" ]; then
    PYTHON="$_semples_venv/bin/python"
  else
    PYTHON=python
  fi
fi
unset _semples_root _semples_venv
