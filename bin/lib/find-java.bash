# Sourced by bin/quiclb and bin/quiclb-codec: finds a java of at least a given feature version.
# shellcheck shell=bash disable=SC2034 # QUICLB_JAVA and QUICLB_JAVA_SEEN are for the launcher that sources this
# Order: $JAVA_HOME, then the JDK homes in $QUICLB_JDK_CANDIDATES (colon-separated; the default names where
# Debian's and Adoptium's packages install JDK 25), then `java` on PATH. Pure bash but for the java it tries.

QUICLB_DEFAULT_JDK_CANDIDATES=/usr/lib/jvm/temurin-25-jdk-amd64:/usr/lib/jvm/temurin-25-jdk:/usr/lib/jvm/java-25-openjdk-amd64:/usr/lib/jvm/temurin-25-jdk-arm64:/usr/lib/jvm/java-25-openjdk-arm64

# Prints the feature version (8, 17, 25, ...) of the java program $1; prints nothing when it does not run.
quiclb_java_version() {
  local out
  out=$("$1" -version 2>&1) || return 0
  if [[ $out =~ version\ \"([0-9]+)(\.([0-9]+))? ]]; then
    if [[ ${BASH_REMATCH[1]} == 1 && -n ${BASH_REMATCH[3]} ]]; then
      echo "${BASH_REMATCH[3]}"           # 1.8.0_412 is Java 8
    else
      echo "${BASH_REMATCH[1]}"
    fi
  fi
}

# Sets QUICLB_JAVA to the first java of at least feature version $1 and returns 0; otherwise sets
# QUICLB_JAVA_SEEN to what it found ("path: version" items) and returns 1.
quiclb_find_java() {
  local min=$1 candidate version home path_java
  local -a candidates=()
  local -a homes=()
  QUICLB_JAVA='' QUICLB_JAVA_SEEN=''
  [[ -n ${JAVA_HOME:-} ]] && homes+=("$JAVA_HOME")
  IFS=: read -r -a candidates <<< "${QUICLB_JDK_CANDIDATES-$QUICLB_DEFAULT_JDK_CANDIDATES}"
  homes+=("${candidates[@]}")
  local -a programs=()
  for home in "${homes[@]}"; do
    [[ -n $home ]] && programs+=("$home/bin/java")
  done
  path_java=$(type -P java || true)
  [[ -n $path_java ]] && programs+=("$path_java")
  for candidate in "${programs[@]}"; do
    [[ -x $candidate && ! -d $candidate ]] || continue
    version=$(quiclb_java_version "$candidate")
    QUICLB_JAVA_SEEN+="${QUICLB_JAVA_SEEN:+, }$candidate: ${version:-unknown}"
    if [[ -n $version ]] && (( version >= min )); then
      QUICLB_JAVA=$candidate
      return 0
    fi
  done
  return 1
}
