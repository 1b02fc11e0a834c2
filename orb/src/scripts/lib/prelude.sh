# The orb's prelude: the packer puts this text where a step's script says
# `# orb-pack:include(scripts/lib/prelude.sh)`, its first line, so every
# step starts the same way. It defines functions and runs one line.

# A Windows job whose shell is PowerShell reads the script too. For it, the
# next line opens a comment that the script closes after its last sh line,
# where PowerShell is told what to do (PowerShell keeps a backslash in double
# quotes, where sh escapes the quote after it). For sh it is an `echo`
# builtin into /dev/null.
echo "\" <#" >/dev/null

# Stops the step with a message naming it ($step, set by the script).
die() {
  printf 'aws-oidc/%s: %s\n' "${step:-step}" "$*" >&2
  exit 1
}

# True for a boolean parameter that is on. CircleCI puts a boolean parameter
# into a step's environment as 1 or 0, and writes it as true or false where
# it stands in text (CircleCI's "Reusing config" page; circleci-docs #5304):
# both spellings count, anything else names the parameter ($1) and stops.
is_true() {
  case $2 in
    1 | true) return 0 ;;
    0 | false) return 1 ;;
    *) die "$1 must be true or false, got '$2'" ;;
  esac
}

# $BASH_ENV holds what earlier steps exported. bash, CircleCI's shell where
# the image has it, read it before this script's first line, ignoring its
# status and every failing line in it. /bin/sh (dash, busybox: Alpine)
# never reads it, so the step reads it the way bash does: errexit and
# nounset off, the status only reported. A failing line there (nvm's
# initialisation without nvm, the activation of a venv that is gone) must
# not end an aws-oidc step, nor hide the lines after it.
read_bash_env() {
  [ -n "${BASH_ENV:-}" ] && [ -f "$BASH_ENV" ] || return 0
  if shell_reads_bash_env; then return 0; fi
  set +eu
  if command -v awk >/dev/null 2>&1; then
    # dash and busybox stop reading a file at a `.` or `source` of a file
    # that is not there (bash says so and goes on): such a line, alone on
    # its line, is read as bash reads it. `command` keeps a failing eval
    # from ending the shell.
    command eval "$(exec awk "$BASH_LIKE_SOURCE_AWK" "$BASH_ENV")"
  else
    # shellcheck disable=SC1090
    command . "$BASH_ENV"
  fi
  bash_env_status=$?
  set -eu
  if [ "$bash_env_status" -ne 0 ]; then
    echo "aws-oidc/$step: note: \$BASH_ENV ended with status $bash_env_status (a failing line written by an earlier step); going on, as bash does"
  fi
}

# The awk program of read_bash_env: each line as it is, but a lone
# `. FILE` or `source FILE` becomes a test that FILE can be read first.
# shellcheck disable=SC2016 # awk's program: its `$` are awk's, not the shell's
BASH_LIKE_SOURCE_AWK='
  match($0, /^[ \t]*(\.|source)[ \t]+[^ \t;&|<>()`]+[ \t]*$/) {
    file = $0
    sub(/^[ \t]*(\.|source)[ \t]+/, "", file)
    sub(/[ \t]*$/, "", file)
    print "if [ -r " file " ]; then . " file "; else printf \"%s: cannot read %s\\n\" \"$BASH_ENV\" " file " >&2; false; fi"
    next
  }
  { print }
'

# True when this shell reads $BASH_ENV by itself: bash, but not bash started
# as sh (POSIX mode). Later steps run in the same shell unless they set
# their own.
shell_reads_bash_env() {
  [ -n "${BASH_VERSION:-}" ] || return 1
  # shellcheck disable=SC3028 # bash's own variable, read only under bash
  case :${SHELLOPTS:-}: in
    *:posix:*) return 1 ;;
  esac
}

# Prints the aws-oidc binary: AWS_OIDC_BIN, which the install exports
# through $BASH_ENV (the exact file it checked), else the one on PATH.
# False when there is none.
aws_oidc_path() {
  set -- "${AWS_OIDC_BIN:-}"
  [ -n "$1" ] || set -- "$(command -v aws-oidc || :)"
  [ -n "$1" ] && [ -x "$1" ] && printf '%s\n' "$1"
}

# Sets $expanded to $1 with the environment's variables expanded as
# `circleci env subst` (a8m/envsubst) does: $V, ${V}, ${V-d}, ${V:-d},
# ${V=d}, ${V:=d}, ${V+a}, ${V:+a}, and $$ for a literal $; unset is empty.
# A value without `$` (the usual case) costs no process, nor does one whose
# only `$` opens it as $HOME or ${HOME} (install_dir's default,
# $HOME/.local/bin: HOME is in every job's environment); the others one
# awk, which takes the value from a here-document (no printf process, no
# pipe).
expand_env() {
  # shellcheck disable=SC2034 # read by the caller
  expanded=$1
  case $1 in
    *'$'*) ;;
    *) return 0 ;;
  esac
  # shellcheck disable=SC2016 # patterns: the value's own text, `$` and all
  case $1 in
    '$HOME' | '${HOME}' | '$HOME/'* | '${HOME}/'*)
      home_rest=${1#*HOME}
      home_rest=${home_rest#\}}
      case $home_rest in
        *'$'*) ;;
        *)
          if [ -n "${HOME+set}" ]; then
            # shellcheck disable=SC2034 # read by the caller
            expanded=$HOME$home_rest
            return 0
          fi
          ;;
      esac
      ;;
  esac
  command -v awk >/dev/null 2>&1 || die "awk is needed to expand '$1': add it to the image (Alpine: apk add gawk; Debian or Ubuntu: apt-get install gawk)"
  # shellcheck disable=SC2034 # read by the caller
  expanded=$(exec awk "$ENVSUBST_AWK" <<END_OF_VALUE
$1
END_OF_VALUE
  ) || die "cannot expand '$1' (write \$\$ for a literal \$)"
}

# The awk program of expand_env.
# shellcheck disable=SC2016 # awk's program: its `$` are awk's, not the shell's
ENVSUBST_AWK='
  function subst(s,    out, i, c, j, depth, inner, name, rest, op, colon, word, set, val) {
    out = ""
    while ((i = index(s, "$")) > 0) {
      out = out substr(s, 1, i - 1)
      s = substr(s, i + 1)
      c = substr(s, 1, 1)
      if (c == "$") { out = out "$"; s = substr(s, 2); continue }
      if (c == "{") {
        depth = 1
        for (j = 2; j <= length(s) && depth > 0; j++) {
          c = substr(s, j, 1)
          if (c == "{") depth++
          else if (c == "}") depth--
        }
        if (depth > 0) fail("a ${ is never closed")
        inner = substr(s, 2, j - 3)
        s = substr(s, j)
        if (!match(inner, /^[A-Za-z_][A-Za-z0-9_]*/)) fail("${" inner "} names no variable")
        name = substr(inner, 1, RLENGTH)
        rest = substr(inner, RLENGTH + 1)
        set = (name in ENVIRON)
        val = set ? ENVIRON[name] : ""
        if (rest == "") { out = out val; continue }
        colon = (substr(rest, 1, 1) == ":")
        if (colon) rest = substr(rest, 2)
        op = substr(rest, 1, 1)
        word = substr(rest, 2)
        if (op == "-" || op == "=") out = out ((!set || (colon && val == "")) ? subst(word) : val)
        else if (op == "+") out = out ((set && (!colon || val != "")) ? subst(word) : "")
        else fail("${" inner "} is not a form that circleci env subst knows")
        continue
      }
      if (match(s, /^[A-Za-z_][A-Za-z0-9_]*/)) {
        out = out ENVIRON[substr(s, 1, RLENGTH)]
        s = substr(s, RLENGTH + 1)
        continue
      }
      out = out "$"
    }
    return out s
  }
  function fail(why) { print why > "/dev/stderr"; exit 2 }
  { print subst($0) }
'

# Sets $picked to a parameter given in either of its two spellings: the
# v4/v5 name ($1, value $2) or circleci/aws-cli v3's kebab-case one ($3,
# value $4), both declared with default $5. The one that differs from the
# default wins; both set to different values is an error naming both.
pick() {
  # shellcheck disable=SC2034 # read by the caller
  picked=$2
  [ "$4" != "$5" ] || return 0
  [ "$2" = "$5" ] || [ "$2" = "$4" ] || die "$1 and $3 are one parameter in two spellings (circleci/aws-cli v4+ and v3): set only one of them"
  # shellcheck disable=SC2034 # read by the caller
  picked=$4
}

# pick for a boolean parameter: $picked is true or false, whichever way
# CircleCI rendered the two values.
pick_bool() {
  if is_true "$1" "$2"; then set -- "$1" true "$3" "$4" "$5"; else set -- "$1" false "$3" "$4" "$5"; fi
  if is_true "$3" "$4"; then set -- "$1" "$2" "$3" true "$5"; else set -- "$1" "$2" "$3" false "$5"; fi
  pick "$@"
}
