# Shared by scripts/test and scripts/quickstart: the pinned Python environments.
#
# Expects $repo_root, $venv_dir, $python and the functions `progress` and `fail` to be defined
# by the sourcing script.

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        fail "neither sha256sum nor shasum is installed"
    fi
}

# ensure_venv NAME REQUIREMENTS: $venv_dir/NAME built from REQUIREMENTS, pinned, no extra deps.
ensure_venv() {
    local name="$1" requirements="$repo_root/$2"
    local venv="$venv_dir/$name" stamp="$venv_dir/$name/.requirements.sha256"
    local wanted
    [[ -f "$requirements" ]] || fail "missing requirements file $requirements"
    wanted="$(sha256_of "$requirements")"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
        progress "reusing $name environment $venv"
        return
    fi
    progress "creating $name environment $venv from $2"
    rm -rf "$venv"
    "$python" -m venv "$venv" || fail "could not create the $name environment with $python"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$requirements" \
        || fail "could not install $2 into $venv"
    printf '%s\n' "$wanted" >"$stamp"
    progress "installed $name environment"
}


# ensure_npm_env NAME DIR: $venv_dir/NAME with the npm packages pinned by DIR/package.json and
# DIR/package-lock.json (`npm ci`), rebuilt when the lock file changes.
ensure_npm_env() {
    local name="$1" source="$repo_root/$2"
    local env="$venv_dir/$name" stamp="$venv_dir/$name/.requirements.sha256"
    local wanted
    [[ -f "$source/package-lock.json" ]] || fail "missing $source/package-lock.json"
    command -v npm >/dev/null 2>&1 || fail "npm not found (needed for the $name environment)"
    wanted="$(sha256_of "$source/package-lock.json")"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
        progress "reusing $name environment $env"
        return
    fi
    progress "creating $name environment $env from $2"
    rm -rf "$env"
    mkdir -p "$env"
    cp "$source/package.json" "$source/package-lock.json" "$env/"
    (cd "$env" && npm ci --no-audit --no-fund --silent) || fail "could not install $2 into $env"
    printf '%s\n' "$wanted" >"$stamp"
    progress "installed $name environment"
}
