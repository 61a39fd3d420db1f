# Fake runner: leave two background processes holding its pipes, then exit 0.
# $1: file for the pid of `sleep 300`; $2: file for the pid of a Python child ignoring SIGTERM.
# $PYTHON and $RUNNERS come from the environment.
sleep 300 &
echo $! > "$1"
"$PYTHON" "$RUNNERS/ignore_term.py" "$2" &
while [ ! -s "$2" ]; do sleep 0.02; done
echo "main done"
exit 0
