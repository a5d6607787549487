#!/usr/bin/env bash
# Add mlmanager to the desktop's application menu, with its icon and file associations
# (MLmodel files and .zip archives), for the current user (or a packaging prefix).
#
#   bash packaging/linux/install-desktop.sh                       # Exec = `mlmanager` on PATH
#   bash packaging/linux/install-desktop.sh --exec dist/mlmanager/mlmanager   # a PyInstaller bundle
#   bash packaging/linux/install-desktop.sh --prefix "$DESTDIR/usr/share"     # distro packaging
#   bash packaging/linux/install-desktop.sh --uninstall
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
APP_ID="io.github.mlmanager.MLManager"
PREFIX="${XDG_DATA_HOME:-$HOME/.local/share}"
EXEC=""
UNINSTALL=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --prefix) PREFIX="$2"; shift 2 ;;
        --exec) EXEC="$2"; shift 2 ;;
        --uninstall) UNINSTALL=1; shift ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "install-desktop: unknown argument $1" >&2; exit 2 ;;
    esac
done

refresh() {  # best effort: the tools exist on most desktops, not in every container
    command -v update-mime-database >/dev/null && update-mime-database "$PREFIX/mime" >/dev/null 2>&1 || true
    command -v update-desktop-database >/dev/null && update-desktop-database "$PREFIX/applications" >/dev/null 2>&1 || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$PREFIX/icons/hicolor" >/dev/null 2>&1 || true
}

if [[ $UNINSTALL -eq 1 ]]; then
    rm -f "$PREFIX/applications/$APP_ID.desktop" "$PREFIX/metainfo/$APP_ID.metainfo.xml" \
          "$PREFIX/mime/packages/mlmanager-mime.xml"
    find "$PREFIX/icons/hicolor" -name "$APP_ID.*" -delete 2>/dev/null || true
    refresh
    echo "removed mlmanager's desktop entry from $PREFIX"
    exit 0
fi

if [[ -n "$EXEC" ]]; then
    [[ -x "$EXEC" ]] || { echo "install-desktop: not an executable: $EXEC" >&2; exit 2; }
    EXEC="$(cd "$(dirname "$EXEC")" && pwd)/$(basename "$EXEC")"
    case "$EXEC" in *[[:space:]\"\'\\\$\`]*)
        echo "install-desktop: put the app in a folder whose path has no spaces or quotes" >&2; exit 2 ;;
    esac
fi

mkdir -p "$PREFIX/applications" "$PREFIX/metainfo" "$PREFIX/mime/packages" "$PREFIX/icons/hicolor"
cp -r "$HERE/icons/hicolor/." "$PREFIX/icons/hicolor/"
if [[ -n "$EXEC" ]]; then
    sed -e "s|^Exec=mlmanager |Exec=$EXEC |" -e "s|^TryExec=mlmanager$|TryExec=$EXEC|" \
        "$HERE/$APP_ID.desktop" >"$PREFIX/applications/$APP_ID.desktop"
else
    cp "$HERE/$APP_ID.desktop" "$PREFIX/applications/"
fi
cp "$HERE/$APP_ID.metainfo.xml" "$PREFIX/metainfo/"
cp "$HERE/mlmanager-mime.xml" "$PREFIX/mime/packages/"
refresh
echo "installed $APP_ID into $PREFIX (Exec: ${EXEC:-mlmanager on PATH})"
