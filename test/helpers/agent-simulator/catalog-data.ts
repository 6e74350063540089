/**
 * Real software names the generated inventories start from, one compact line each, plus the word lists
 * the long tail is made from. Versions here are plausible for spring 2024 (osquery 5.12 era).
 */

/** macOS: `App Name|bundle id|vendor (copyright holder)|category|short version|bundle version`. */
export const MAC_APPS = `
Adobe Acrobat Reader|com.adobe.Reader|Adobe Inc.|public.app-category.productivity|24.002.20736|24.002.20736
Adobe Photoshop 2024|com.adobe.Photoshop|Adobe Inc.|public.app-category.graphics-design|25.6.0|25.6.0.433
Adobe Illustrator 2024|com.adobe.illustrator|Adobe Inc.|public.app-category.graphics-design|28.4.1|28.4.1
Affinity Designer 2|com.seriflabs.affinitydesigner2|Serif (Europe) Ltd|public.app-category.graphics-design|2.4.2|2404
Alfred 5|com.runningwithcrayons.Alfred|Running with Crayons Ltd|public.app-category.productivity|5.5|2257
Android Studio|com.google.android.studio|Google LLC|public.app-category.developer-tools|2023.2|AI-232.10300.40.2321.11567975
Arc|company.thebrowser.Browser|The Browser Company of New York|public.app-category.productivity|1.38.1|48986
Audacity|org.audacityteam.audacity|Audacity Team|public.app-category.music|3.5.1|3.5.1
Bartender 5|com.surteesstudios.Bartender|Surtees Studios Ltd|public.app-category.utilities|5.0.52|50052
BBEdit|com.barebones.bbedit|Bare Bones Software, Inc.|public.app-category.developer-tools|15.0.3|504
Blender|org.blenderfoundation.blender|Blender Foundation|public.app-category.graphics-design|4.1.1|4.1.1 2024-04-15
Brave Browser|com.brave.Browser|Brave Software, Inc.|public.app-category.productivity|124.1.65.122|165.122
Calibre|net.kovidgoyal.calibre|Kovid Goyal|public.app-category.productivity|7.9.0|7.9.0
Cisco Secure Client|com.cisco.secureclient.gui|Cisco Systems, Inc.|public.app-category.utilities|5.1.2.42|5.1.2.42
Citrix Workspace|com.citrix.receiver.nomas|Cloud Software Group, Inc.|public.app-category.business|24.02.0|24.02.0.78
CleanMyMac X|com.macpaw.CleanMyMac4|MacPaw Inc.|public.app-category.utilities|4.15.3|41503.0.2404191046
Cyberduck|ch.sudo.cyberduck|iterate GmbH|public.app-category.utilities|8.8.2|41412
DBeaver|org.jkiss.dbeaver.core.product|DBeaver Corp|public.app-category.developer-tools|24.0.3|24.0.3.202404211624
Discord|com.hnc.Discord|Discord Inc.|public.app-category.social-networking|0.0.302|0.0.302
Dropbox|com.getdropbox.dropbox|Dropbox, Inc.|public.app-category.productivity|198.4.7615|198.4.7615
Evernote|com.evernote.Evernote|Evernote Corporation|public.app-category.productivity|10.86.6|10.86.6
Figma|com.figma.Desktop|Figma, Inc.|public.app-category.graphics-design|124.0.2|124.0.2
FileZilla|org.filezilla-project.filezilla|Tim Kosse|public.app-category.utilities|3.67.0|3.67.0
GitHub Desktop|com.github.GitHubClient|GitHub, Inc.|public.app-category.developer-tools|3.3.13|3.3.13
GoLand|com.jetbrains.goland|JetBrains s.r.o.|public.app-category.developer-tools|2024.1|GO-241.14494.238
Google Drive|com.google.drivefs|Google LLC|public.app-category.productivity|90.0|90.0.2
Grammarly Desktop|com.grammarly.ProjectLlama|Grammarly, Inc.|public.app-category.productivity|1.81.1|1.81.1.0
HandBrake|fr.handbrake.HandBrake|The HandBrake Team|public.app-category.video|1.7.3|2024012000
IINA|com.colliderli.iina|Collider LI|public.app-category.entertainment|1.3.4|138
ImageOptim|net.pornel.ImageOptim|ImageOptim Ltd.|public.app-category.photography|1.9.3|1.9.3
IntelliJ IDEA|com.jetbrains.intellij|JetBrains s.r.o.|public.app-category.developer-tools|2024.1.1|IU-241.15989.150
iTerm|com.googlecode.iterm2|George Nachman|public.app-category.developer-tools|3.4.23|3.4.23
Jamf Connect|com.jamf.connect|JAMF Software|public.app-category.utilities|2.33.0|2.33.0
KeePassXC|org.keepassxc.keepassxc|KeePassXC Team|public.app-category.utilities|2.7.7|2.7.7
Logi Options+|com.logi.optionsplus|Logitech Inc.|public.app-category.utilities|1.70.551909|1.70.551909
Loom|com.loom.desktop|Loom, Inc.|public.app-category.productivity|0.214.1|0.214.1
Magnet|id.arianz.magnet|CrowdCafé Ltd|public.app-category.productivity|2.14.0|135
Microsoft Teams (work or school)|com.microsoft.teams2|Microsoft Corporation|public.app-category.business|24074.2321.2810.3500|24074.2321.2810.3500
Microsoft OneNote|com.microsoft.onenote.mac|Microsoft Corporation|public.app-category.productivity|16.84|16.84.24041420
Microsoft Remote Desktop|com.microsoft.rdc.macos|Microsoft Corporation|public.app-category.business|10.9.7|2201
Miro|com.electron.realtimeboard|Miro|public.app-category.productivity|0.8.47|0.8.47
Notion|notion.id|Notion Labs, Inc.|public.app-category.productivity|3.6.0|3.6.0
Obsidian|md.obsidian|Dynalist Inc.|public.app-category.productivity|1.5.12|1.5.12
OmniGraffle 7|com.omnigroup.OmniGraffle7|The Omni Group|public.app-category.graphics-design|7.23|232.4.0.211519
OpenVPN Connect|org.openvpn.client.app|OpenVPN Inc.|public.app-category.utilities|3.4.9|4832
Parallels Desktop|com.parallels.desktop.console|Parallels International GmbH|public.app-category.utilities|19.3.0|54924
Postman|com.postmanlabs.mac|Postdot Technologies, Inc.|public.app-category.developer-tools|10.25.7|10.25.7
PyCharm|com.jetbrains.pycharm|JetBrains s.r.o.|public.app-category.developer-tools|2024.1.1|PY-241.15989.155
Raycast|com.raycast.macos|Raycast Technologies Inc.|public.app-category.productivity|1.73.1|1.73.1
Rectangle|com.knollsoft.Rectangle|Ryan Hanson|public.app-category.productivity|0.79|88
Signal|org.whispersystems.signal-desktop|Signal Messenger, LLC|public.app-category.social-networking|7.7.0|7.7.0
Sketch|com.bohemiancoding.sketch3|Sketch B.V.|public.app-category.graphics-design|99.5|180165
Skype|com.skype.skype|Skype Communications S.a.r.l|public.app-category.social-networking|8.118.0.205|8.118.0.205
Spotify|com.spotify.client|Spotify AB|public.app-category.music|1.2.36.955|1.2.36.955
Sublime Text|com.sublimetext.4|Sublime HQ Pty Ltd|public.app-category.developer-tools|Build 4169|4169
Tableau Desktop 2024.1|com.tableausoftware.tableaudesktop|Tableau Software, LLC|public.app-category.business|2024.1.1|20241.24.0418.1249
TablePlus|com.tinyapp.TablePlus|TablePlus Inc|public.app-category.developer-tools|6.0.4|562
Telegram|ru.keepcoder.Telegram|Telegram FZ-LLC|public.app-category.social-networking|10.11.1|264519
The Unarchiver|com.macpaw.site.theunarchiver|MacPaw Inc.|public.app-category.utilities|4.3.8|184
Tor Browser|org.torproject.torbrowser|The Tor Project|public.app-category.productivity|13.0.14|13.0.14
Transmit 5|com.panic.transmit|Panic Inc.|public.app-category.developer-tools|5.10.4|5.10.4
Tunnelblick|net.tunnelblick.tunnelblick|Jonathan K. Bullard|public.app-category.utilities|4.0.1|6030
UTM|com.utmapp.UTM|Turing Software, LLC|public.app-category.developer-tools|4.4.5|91
Viscosity|com.viscosityvpn.Viscosity|SparkLabs Pty Ltd|public.app-category.utilities|1.11.1|1660
VLC|org.videolan.vlc|VideoLAN|public.app-category.video|3.0.20|3.0.20
VMware Fusion|com.vmware.fusion|Broadcom Inc.|public.app-category.developer-tools|13.5.1|23298085
Warp|dev.warp.Warp-Stable|Denver Technologies, Inc.|public.app-category.developer-tools|0.2024.04.30.08.02.stable_01|0.2024.04.30.08.02.stable_01
WebStorm|com.jetbrains.WebStorm|JetBrains s.r.o.|public.app-category.developer-tools|2024.1.2|WS-241.15989.132
WhatsApp|net.whatsapp.WhatsApp|WhatsApp Inc.|public.app-category.social-networking|24.8.77|24.8.77
Wireshark|org.wireshark.Wireshark|The Wireshark developer community|public.app-category.developer-tools|4.2.4|4.2.4
Xcode|com.apple.dt.Xcode|Apple Inc.|public.app-category.developer-tools|15.3|22618
Zoom|us.zoom.xos|Zoom Video Communications, Inc.|public.app-category.productivity|6.0.2 (33403)|6.0.2.33403
`;

/** Ubuntu 22.04: `package|section|priority|arch|version|source`; source is "" when it is the package name. */
export const DEB_PACKAGES = `
accountsservice|gnome|optional|amd64|22.07.5-2ubuntu1.5|
acl|utils|optional|amd64|2.3.1-1|
alsa-ucm-conf|libs|optional|all|1.2.6.3-1ubuntu1.11|
apparmor|admin|optional|amd64|3.0.4-2ubuntu2.3|
apport|utils|optional|all|2.20.11-0ubuntu82.5|
apt-utils|admin|important|amd64|2.4.12|apt
at|admin|optional|amd64|3.2.2-1ubuntu1|
avahi-daemon|net|optional|amd64|0.8-5ubuntu5.2|avahi
bash-completion|shells|standard|all|1:2.11-5ubuntu1|
bind9-dnsutils|net|standard|amd64|1:9.18.18-0ubuntu0.22.04.2|bind9
bind9-libs|libs|standard|amd64|1:9.18.18-0ubuntu0.22.04.2|bind9
bluez|admin|optional|amd64|5.64-0ubuntu1.2|
bolt|admin|optional|amd64|0.9.2-1|
bsdextrautils|utils|optional|amd64|2.37.2-4ubuntu3.4|util-linux
btrfs-progs|admin|optional|amd64|5.16.2-1|
build-essential|devel|optional|amd64|12.9ubuntu3|
busybox-initramfs|shells|optional|amd64|1:1.30.1-7ubuntu3|busybox
bzip2|utils|standard|amd64|1.0.8-5build1|
cloud-init|admin|optional|all|23.4.4-0ubuntu0~22.04.1|
command-not-found|admin|optional|all|22.04.0|
containerd.io|devel|optional|amd64|1.6.31-1|
cpp-11|interpreters|optional|amd64|11.4.0-1ubuntu1~22.04|gcc-11
cron|admin|important|amd64|3.0pl1-137ubuntu3|
cups|net|optional|amd64|2.4.1op1-1ubuntu4.8|
dbus|admin|standard|amd64|1.12.20-2ubuntu4.1|
dirmngr|utils|optional|amd64|2.2.27-3ubuntu2.1|gnupg2
dmidecode|utils|important|amd64|3.3-3ubuntu0.1|
dmsetup|admin|optional|amd64|2:1.02.175-2.1ubuntu4|lvm2
dnsmasq-base|net|optional|amd64|2.90-0ubuntu0.22.04.1|dnsmasq
docker-buildx-plugin|admin|optional|amd64|0.14.0-1~ubuntu.22.04~jammy|
docker-ce-cli|admin|optional|amd64|5:26.1.1-1~ubuntu.22.04~jammy|
docker-compose-plugin|admin|optional|amd64|2.27.0-1~ubuntu.22.04~jammy|
dosfstools|otherosfs|optional|amd64|4.2-1build3|
dpkg-dev|utils|optional|all|1.21.1ubuntu2.3|dpkg
ed|editors|optional|amd64|1.18-1|
eject|utils|optional|amd64|2.37.2-4ubuntu3.4|util-linux
ethtool|net|important|amd64|1:5.16-1ubuntu0.1|
fdisk|utils|important|amd64|2.37.2-4ubuntu3.4|util-linux
file|utils|standard|amd64|1:5.41-3ubuntu0.1|
firefox|web|optional|amd64|1:1snap1-0ubuntu2|
fontconfig|utils|optional|amd64|2.13.1-4.2ubuntu5|
fonts-dejavu-core|fonts|optional|all|2.37-2build1|fonts-dejavu
fonts-liberation|fonts|optional|all|1:1.07.4-11|
ftp|oldlibs|optional|all|20210827-4build1|tnftp
fuse3|utils|optional|amd64|3.10.5-1build1|
fwupd|admin|optional|amd64|1.7.9-1~22.04.3|
g++-11|devel|optional|amd64|11.4.0-1ubuntu1~22.04|gcc-11
gcc-11|devel|optional|amd64|11.4.0-1ubuntu1~22.04|
gdb|devel|optional|amd64|12.1-0ubuntu1~22.04|
gdisk|admin|optional|amd64|1.0.8-4build1|
gettext-base|utils|standard|amd64|0.21-4ubuntu4|gettext
git-man|doc|optional|all|1:2.34.1-1ubuntu1.11|git
gnome-shell|gnome|optional|amd64|42.9-0ubuntu2|
gnupg|utils|optional|all|2.2.27-3ubuntu2.1|gnupg2
google-chrome-stable|web|optional|amd64|124.0.6367.118-1|
gpg|utils|optional|amd64|2.2.27-3ubuntu2.1|gnupg2
grub-common|admin|optional|amd64|2.06-2ubuntu7.2|grub2
grub-efi-amd64-bin|admin|optional|amd64|2.06-2ubuntu14.4|grub2-unsigned
htop|utils|optional|amd64|3.0.5-7build2|
ifupdown|admin|important|amd64|0.8.36+nmu1ubuntu3|
info|doc|standard|amd64|6.8-4build1|texinfo
init-system-helpers|admin|optional|all|1.62|
initramfs-tools|utils|optional|all|0.140ubuntu13.4|
iproute2|net|important|amd64|5.15.0-1ubuntu2|
iptables|net|optional|amd64|1.8.7-1ubuntu5.2|
iputils-ping|net|important|amd64|3:20211215-1|iputils
isc-dhcp-client|net|important|amd64|4.4.1-2.3ubuntu2.4|isc-dhcp
jq|utils|optional|amd64|1.6-2.1ubuntu3|
kbd|utils|optional|amd64|2.3.0-3ubuntu4.22.04|
keyboard-configuration|utils|optional|all|1.205ubuntu3|console-setup
kmod|admin|important|amd64|29-1ubuntu1|
less|text|important|amd64|590-1ubuntu0.22.04.2|
libapparmor1|libs|optional|amd64|3.0.4-2ubuntu2.3|apparmor
libaudit1|libs|optional|amd64|1:3.0.7-1build1|audit
libblkid1|libs|optional|amd64|2.37.2-4ubuntu3.4|util-linux
libbsd0|libs|optional|amd64|0.11.5-1|libbsd
libc6|libs|optional|amd64|2.35-0ubuntu3.7|glibc
libcap2|libs|optional|amd64|1:2.44-1ubuntu0.22.04.1|libcap2
libcurl4|libs|optional|amd64|7.81.0-1ubuntu1.16|curl
libdb5.3|libs|optional|amd64|5.3.28+dfsg1-0.8ubuntu3|db5.3
libexpat1|libs|optional|amd64|2.4.7-1ubuntu0.3|expat
libffi8|libs|optional|amd64|3.4.2-4|libffi
libgcc-s1|libs|optional|amd64|12.3.0-1ubuntu1~22.04|gcc-12
libglib2.0-0|libs|optional|amd64|2.72.4-0ubuntu2.2|glib2.0
libgnutls30|libs|optional|amd64|3.7.3-4ubuntu1.5|gnutls28
libgssapi-krb5-2|libs|optional|amd64|1.19.2-2ubuntu0.3|krb5
libjson-c5|libs|optional|amd64|0.15-3~ubuntu1.22.04.2|json-c
libldap-2.5-0|libs|optional|amd64|2.5.17+dfsg-0ubuntu0.22.04.1|openldap
liblz4-1|libs|optional|amd64|1.9.3-2build2|lz4
liblzma5|libs|optional|amd64|5.2.5-2ubuntu1|xz-utils
libncursesw6|libs|optional|amd64|6.3-2ubuntu0.1|ncurses
libnss3|libs|optional|amd64|2:3.98-0ubuntu0.22.04.2|nss
libpam-modules|admin|required|amd64|1.4.0-11ubuntu2.4|pam
libpcre2-8-0|libs|optional|amd64|10.39-3ubuntu0.1|pcre2
libpython3.10|libs|optional|amd64|3.10.12-1~22.04.3|python3.10
libreoffice-core|editors|optional|amd64|1:7.3.7-0ubuntu0.22.04.4|libreoffice
libsqlite3-0|libs|optional|amd64|3.37.2-2ubuntu0.3|sqlite3
libssl3|libs|optional|amd64|3.0.2-0ubuntu1.15|openssl
libsystemd0|libs|optional|amd64|249.11-0ubuntu3.12|systemd
libudev1|libs|optional|amd64|249.11-0ubuntu3.12|systemd
libxml2|libs|optional|amd64|2.9.13+dfsg-1ubuntu0.4|
libzstd1|libs|optional|amd64|1.4.8+dfsg-3build1|libzstd
linux-firmware|kernel|optional|all|20220329.git681281e4-0ubuntu3.31|
linux-image-6.5.0-28-generic|kernel|optional|amd64|6.5.0-28.29~22.04.1|linux-signed-hwe-6.5
locales|localization|standard|all|2.35-0ubuntu3.7|glibc
logrotate|admin|important|amd64|3.19.0-1ubuntu1.1|
lsb-release|misc|optional|all|11.1.0ubuntu4|lsb
lsof|utils|standard|amd64|4.93.2+dfsg-1.1build2|
lvm2|admin|optional|amd64|2.03.11-2.1ubuntu4|
make|devel|optional|amd64|4.3-4.1build1|make-dfsg
man-db|doc|standard|amd64|2.10.2-1|
mawk|interpreters|required|amd64|1.3.4.20200120-3|
mtr-tiny|net|standard|amd64|0.95-1|mtr
nano|editors|important|amd64|6.2-1|
netplan.io|net|optional|amd64|0.106.1-7ubuntu0.22.04.2|
network-manager|net|optional|amd64|1.36.6-0ubuntu2|
nfs-common|net|optional|amd64|1:2.6.1-1ubuntu1.2|nfs-utils
nginx|httpd|optional|amd64|1.18.0-6ubuntu14.4|
nodejs|web|optional|amd64|12.22.9~dfsg-1ubuntu3.5|
ntfs-3g|otherosfs|optional|amd64|1:2021.8.22-3ubuntu1.2|
openssh-client|net|standard|amd64|1:8.9p1-3ubuntu0.7|openssh
openssh-server|net|optional|amd64|1:8.9p1-3ubuntu0.7|openssh
openssl|utils|optional|amd64|3.0.2-0ubuntu1.15|
osquery|admin|optional|amd64|5.12.1-1.linux|
parted|admin|optional|amd64|3.4-2build1|
pciutils|admin|standard|amd64|1:3.7.0-6|
perl|perl|standard|amd64|5.34.0-3ubuntu1.3|
pinentry-curses|utils|optional|amd64|1.1.1-1build2|pinentry
plymouth|x11|optional|amd64|0.9.5+git20211018-1ubuntu3|
policykit-1|admin|optional|amd64|0.105-33|
postgresql-14|database|optional|amd64|14.11-0ubuntu0.22.04.1|
python3|python|standard|amd64|3.10.6-1~22.04|python3-defaults
python3-apt|python|optional|amd64|2.4.0ubuntu3|python-apt
python3-distro|python|optional|all|1.7.0-1|python-distro
python3-pip|python|optional|all|22.0.2+dfsg-1ubuntu0.4|python-pip
python3-requests|python|optional|all|2.25.1+dfsg-2ubuntu0.1|requests
python3-yaml|python|optional|amd64|5.4.1-1ubuntu1|pyyaml
python3.10|python|optional|amd64|3.10.12-1~22.04.3|
rsync|net|optional|amd64|3.2.7-0ubuntu0.22.04.2|
rsyslog|admin|important|amd64|8.2112.0-2ubuntu2.2|
screen|misc|optional|amd64|4.9.0-1|
shim-signed|utils|optional|amd64|1.51.3+15.7-0ubuntu1|
snapd|devel|optional|amd64|2.61.3+22.04|
software-properties-common|admin|optional|all|0.99.22.9|software-properties
sosreport|admin|optional|amd64|4.5.6-0ubuntu1~22.04.1|
strace|utils|optional|amd64|5.16-0ubuntu3|
sudo|admin|optional|amd64|1.9.9-1ubuntu2.4|
systemd|admin|important|amd64|249.11-0ubuntu3.12|
systemd-timesyncd|admin|optional|amd64|249.11-0ubuntu3.12|systemd
tcpdump|net|optional|amd64|4.99.1-3ubuntu0.2|
tmux|admin|optional|amd64|3.2a-4ubuntu0.2|
tzdata|localization|required|all|2024a-0ubuntu0.22.04|
ubuntu-minimal|metapackages|important|amd64|1.481.1|ubuntu-meta
ubuntu-standard|metapackages|standard|amd64|1.481.1|ubuntu-meta
ufw|admin|optional|all|0.36.1-4ubuntu0.1|
unattended-upgrades|admin|optional|all|2.8ubuntu1|
unzip|utils|optional|amd64|6.0-26ubuntu3.2|
update-notifier-common|gnome|optional|all|3.192.54.8|update-notifier
usbutils|utils|standard|amd64|1:014-1build1|
vim|editors|optional|amd64|2:8.2.3995-1ubuntu2.16|
vim-common|editors|important|all|2:8.2.3995-1ubuntu2.16|vim
wget|web|standard|amd64|1.21.2-2ubuntu1|
whiptail|utils|important|amd64|0.52.21-5ubuntu2|newt
xdg-utils|utils|optional|all|1.1.3-4.1ubuntu3~22.04.1|
xkb-data|x11|important|all|2.33-1|xkeyboard-config
xserver-xorg-core|x11|optional|amd64|2:21.1.4-2ubuntu1.7~22.04.10|xorg-server
xxd|editors|optional|amd64|2:8.2.3995-1ubuntu2.16|vim
xz-utils|utils|standard|amd64|5.2.5-2ubuntu1|
zip|utils|optional|amd64|3.0-12build2|
zlib1g|libs|required|amd64|1:1.2.11.dfsg-2ubuntu9.2|zlib
zstd|utils|optional|amd64|1.4.8+dfsg-3build1|libzstd
`;

/** RHEL 9.3: `package|version|release|arch|epoch|vendor|source`; vendor "" means Red Hat, Inc. */
export const RPM_PACKAGES = `
NetworkManager|1.44.0|3.el9|x86_64|1||NetworkManager
acl|2.3.1|3.el9|x86_64|||acl
alternatives|1.24|1.el9|x86_64|||chkconfig
audit|3.0.7|104.el9|x86_64|||audit
audit-libs|3.0.7|104.el9|x86_64|||audit
authselect|1.2.6|2.el9|x86_64|||authselect
basesystem|11|13.el9|noarch|||basesystem
bash|5.1.8|6.el9_1|x86_64|||bash
bind-utils|9.16.23|14.el9_3|x86_64|32||bind
binutils|2.35.2|42.el9|x86_64|||binutils
bzip2-libs|1.0.8|8.el9|x86_64|||bzip2
ca-certificates|2023.2.60_v7.0.306|90.1.el9_2|noarch|||ca-certificates
chrony|4.3|1.el9|x86_64|||chrony
cockpit|286.1|1.el9|x86_64|||cockpit
containerd.io|1.6.31|3.1.el9|x86_64||Docker|containerd.io
coreutils|8.32|34.el9|x86_64|||coreutils
cpio|2.13|16.el9|x86_64|||cpio
cracklib|2.9.6|27.el9|x86_64|||cracklib
cronie|1.5.7|8.el9|x86_64|||cronie
crypto-policies|20230731|1.git94f0e2c.el9_3.1|noarch|||crypto-policies
cryptsetup-libs|2.6.0|3.el9|x86_64|||cryptsetup
curl|7.76.1|26.el9_3.3|x86_64|||curl
cyrus-sasl-lib|2.1.27|21.el9|x86_64|||cyrus-sasl
dbus|1.12.20|8.el9|x86_64|1||dbus
dbus-broker|28|7.el9|x86_64|||dbus-broker
device-mapper|1.02.195|3.el9|x86_64|9||lvm2
dhcp-client|4.4.2|19.b1.el9|x86_64|12||dhcp
diffutils|3.7|12.el9|x86_64|||diffutils
dnf|4.14.0|8.el9|noarch|||dnf
dnf-plugins-core|4.3.0|11.el9_3|noarch|||dnf-plugins-core
docker-ce|26.1.1|1.el9|x86_64|3|Docker|docker-ce
docker-ce-cli|26.1.1|1.el9|x86_64|1|Docker|docker-ce-cli
dracut|057|44.git20230822.el9|x86_64|||dracut
e2fsprogs|1.46.5|3.el9|x86_64|||e2fsprogs
efibootmgr|16|12.el9|x86_64|||efibootmgr
elfutils-libs|0.189|3.el9|x86_64|||elfutils
expat|2.5.0|1.el9_3.1|x86_64|||expat
file|5.39|14.el9|x86_64|||file
filesystem|3.16|2.el9|x86_64|||filesystem
findutils|4.8.0|6.el9|x86_64|1||findutils
firewalld|1.2.5|2.el9|noarch|||firewalld
gawk|5.1.0|6.el9|x86_64|||gawk
gdbm-libs|1.19|4.el9|x86_64|1||gdbm
git|2.39.3|1.el9_2|x86_64|||git
glib2|2.68.4|11.el9|x86_64|||glib2
glibc|2.34|83.el9_3.12|x86_64|||glibc
glibc-common|2.34|83.el9_3.12|x86_64|||glibc
gmp|6.2.0|13.el9|x86_64|1||gmp
gnupg2|2.3.3|4.el9|x86_64|||gnupg2
gnutls|3.7.6|23.el9|x86_64|||gnutls
google-chrome-stable|124.0.6367.118|1|x86_64||Google Inc.|google-chrome-stable
grep|3.6|5.el9|x86_64|||grep
grub2-common|2.06|70.el9_3.2|noarch|1||grub2
grub2-efi-x64|2.06|70.el9_3.2|x86_64|1||grub2
grubby|8.40|64.el9|x86_64|||grubby
gzip|1.12|1.el9|x86_64|||gzip
hostname|3.23|6.el9|x86_64|||hostname
httpd|2.4.57|5.el9|x86_64|||httpd
hwdata|0.348|9.11.el9|noarch|||hwdata
info|6.7|15.el9|x86_64|||texinfo
initscripts-service|10.11.5|1.el9|noarch|||initscripts
iproute|6.2.0|5.el9|x86_64|||iproute
iptables-nft|1.8.8|6.el9_1|x86_64|||iptables
iputils|20210202|9.el9|x86_64|||iputils
irqbalance|1.9.2|3.el9|x86_64|2||irqbalance
jq|1.6|15.el9|x86_64|||jq
kbd|2.4.0|9.el9|x86_64|||kbd
kexec-tools|2.0.26|8.el9|x86_64|||kexec-tools
keyutils-libs|1.6.3|1.el9|x86_64|||keyutils
kmod|28|9.el9|x86_64|||kmod
krb5-libs|1.21.1|1.el9|x86_64|||krb5
less|590|2.el9_2|x86_64|||less
libacl|2.3.1|3.el9|x86_64|||acl
libblkid|2.37.4|15.el9|x86_64|||util-linux
libcap|2.48|9.el9_2|x86_64|||libcap
libcurl|7.76.1|26.el9_3.3|x86_64|||curl
libdnf|0.69.0|6.el9_3|x86_64|||libdnf
libffi|3.4.2|8.el9|x86_64|||libffi
libgcc|11.4.1|2.1.el9|x86_64|||gcc
libgcrypt|1.10.0|10.el9_2|x86_64|||libgcrypt
libselinux|3.5|1.el9|x86_64|||libselinux
libsemanage|3.5|2.el9|x86_64|||libsemanage
libsepol|3.5|1.el9|x86_64|||libsepol
libsmartcols|2.37.4|15.el9|x86_64|||util-linux
libsolv|0.7.24|2.el9|x86_64|||libsolv
libssh|0.10.4|11.el9|x86_64|||libssh
libstdc++|11.4.1|2.1.el9|x86_64|||gcc
libuuid|2.37.4|15.el9|x86_64|||util-linux
libxml2|2.9.13|5.el9_3|x86_64|||libxml2
libzstd|1.5.1|2.el9|x86_64|||zstd
logrotate|3.18.0|8.el9|x86_64|||logrotate
lua-libs|5.4.4|4.el9|x86_64|||lua
lvm2|2.03.21|3.el9|x86_64|9||lvm2
lz4-libs|1.9.3|5.el9|x86_64|||lz4
man-db|2.9.3|7.el9|x86_64|||man-db
microcode_ctl|20230808|2.20231009.1.el9_3|noarch|4||microcode_ctl
ncurses-base|6.2|10.20210508.el9|noarch|||ncurses
nftables|1.0.4|11.el9_3|x86_64|1||nftables
nginx|1.20.1|14.el9_2.1|x86_64|1||nginx
nodejs|16.20.2|4.el9_3|x86_64|1||nodejs
nspr|4.35.0|4.el9_2|x86_64|||nss
nss|3.90.0|4.el9_3|x86_64|||nss
openldap|2.6.3|1.el9|x86_64|||openldap
openssh|8.7p1|34.el9_3.3|x86_64|||openssh
openssh-clients|8.7p1|34.el9_3.3|x86_64|||openssh
openssh-server|8.7p1|34.el9_3.3|x86_64|||openssh
openssl|3.0.7|25.el9_3|x86_64|1||openssl
openssl-libs|3.0.7|25.el9_3|x86_64|1||openssl
osquery|5.12.1|1.linux|x86_64||osquery|osquery
p11-kit|0.24.1|2.el9|x86_64|||p11-kit
pam|1.5.1|15.el9|x86_64|||pam
passwd|0.80|12.el9|x86_64|||passwd
pcre2|10.40|2.el9|x86_64|||pcre2
perl-interpreter|5.32.1|480.el9|x86_64|4||perl
podman|4.6.1|8.el9_3|x86_64|2||podman
policycoreutils|3.5|3.el9_3|x86_64|||policycoreutils
polkit|0.117|11.el9|x86_64|||polkit
postgresql-server|13.14|1.el9_3|x86_64|||postgresql
procps-ng|3.3.17|13.el9|x86_64|||procps-ng
python3|3.9.18|1.el9_3.1|x86_64|||python3.9
python3-dnf|4.14.0|8.el9|noarch|||dnf
python3-libs|3.9.18|1.el9_3.1|x86_64|||python3.9
python3-pip-wheel|21.2.3|7.el9|noarch|||python-pip
python3-requests|2.25.1|7.el9|noarch|||python-requests
readline|8.1|4.el9|x86_64|||readline
redhat-release|9.3|0.5.el9|x86_64|||redhat-release
rootfiles|8.1|31.el9|noarch|||rootfiles
rpm|4.16.1.3|25.el9|x86_64|||rpm
rpm-libs|4.16.1.3|25.el9|x86_64|||rpm
rsync|3.2.3|19.el9|x86_64|||rsync
rsyslog|8.2306.0|1.el9|x86_64|||rsyslog
sed|4.8|9.el9|x86_64|||sed
selinux-policy|38.1.23|1.el9_3.2|noarch|||selinux-policy
selinux-policy-targeted|38.1.23|1.el9_3.2|noarch|||selinux-policy
setup|2.13.7|9.el9|noarch|||setup
shadow-utils|4.9|8.el9|x86_64|2||shadow-utils
shim-x64|15.6|1.el9|x86_64|||shim
sqlite-libs|3.34.1|7.el9_3|x86_64|||sqlite
sssd-client|2.9.1|4.el9_3|x86_64|||sssd
subscription-manager|1.29.38|1.el9_3|x86_64|||subscription-manager
sudo|1.9.5p2|9.el9|x86_64|||sudo
systemd|252|18.el9|x86_64|||systemd
systemd-libs|252|18.el9|x86_64|||systemd
systemd-udev|252|18.el9|x86_64|||systemd
tar|1.34|6.el9_1|x86_64|2||tar
tpm2-tss|3.2.2|2.el9|x86_64|||tpm2-tss
tuned|2.21.0|1.el9_3|noarch|||tuned
tzdata|2024a|1.el9|noarch|||tzdata
util-linux|2.37.4|15.el9|x86_64|||util-linux
vim-enhanced|8.2.2637|20.el9_1|x86_64|2||vim
vim-minimal|8.2.2637|20.el9_1|x86_64|2||vim
which|2.21|29.el9|x86_64|||which
xfsprogs|6.3.0|1.el9|x86_64|||xfsprogs
xz|5.2.5|8.el9_0|x86_64|||xz
yum|4.14.0|8.el9|noarch|||dnf
zlib|1.2.11|40.el9|x86_64|||zlib
`;

/** Windows 11: `Display name|publisher|version|installer (msi or exe)|install folder under Program Files`. */
export const WINDOWS_PROGRAMS = `
7-Zip 23.01 (x64)|Igor Pavlov|23.01|exe|7-Zip
Adobe Acrobat Reader DC - English|Adobe|24.002.20736|msi|Adobe\\Acrobat DC
AnyDesk|AnyDesk Software GmbH|ad 8.0.10|exe|AnyDesk
Audacity 3.5.1|Audacity Team|3.5.1|exe|Audacity
Autodesk DWG TrueView 2024 - English|Autodesk, Inc.|24.3.61.0|msi|Autodesk\\DWG TrueView 2024 - English
AutoHotkey|AutoHotkey Foundation LLC|2.0.13|exe|AutoHotkey
Bitwarden 2024.4.3|Bitwarden Inc.|2024.4.3|exe|Bitwarden
Brave|Brave Software Inc|124.1.65.122|exe|BraveSoftware\\Brave-Browser\\Application
Cisco Secure Client - AnyConnect VPN|Cisco Systems, Inc.|5.1.2.42|msi|Cisco\\Cisco Secure Client
Citrix Workspace 2403|Citrix Systems, Inc.|24.3.0.64|exe|Citrix\\ICA Client
CrowdStrike Windows Sensor|CrowdStrike, Inc.|7.13.18110.0|exe|CrowdStrike
Dell Command &#124; Update for Windows Universal|Dell Inc.|5.2.0|msi|Dell\\CommandUpdate
Discord|Discord Inc.|1.0.9042|exe|
Docker Desktop|Docker Inc.|4.29.0|exe|Docker\\Docker
Dropbox|Dropbox, Inc.|198.4.7615|exe|Dropbox\\Client
FileZilla 3.67.0|Tim Kosse|3.67.0|exe|FileZilla FTP Client
Foxit PDF Reader|Foxit Software Inc.|2024.2.0.25138|exe|Foxit Software\\Foxit PDF Reader
GIMP 2.10.36|The GIMP Team|2.10.36|exe|GIMP 2
GitHub Desktop|GitHub, Inc.|3.3.13|exe|
Greenshot 1.2.10.6|Greenshot|1.2.10.6|exe|Greenshot
HP Smart|HP Inc.|151.2.1049.0|exe|HP\\HP Smart
Intel(R) Chipset Device Software|Intel(R) Corporation|10.1.19444.8378|exe|Intel\\Intel(R) Chipset Device Software
Intel(R) Graphics Driver|Intel Corporation|31.0.101.5382|exe|Intel\\Intel(R) Graphics Driver
IntelliJ IDEA Community Edition 2024.1.1|JetBrains s.r.o.|241.15989.150|exe|JetBrains\\IntelliJ IDEA Community Edition 2024.1.1
Java 8 Update 411 (64-bit)|Oracle Corporation|8.0.4110.9|msi|Java\\jre-1.8
KeePass Password Safe 2.57|Dominik Reichl|2.57|exe|KeePass Password Safe 2
Lenovo Vantage Service|Lenovo Group Ltd.|4.1.49.0|exe|Lenovo\\VantageService
LibreOffice 7.6.6.3|The Document Foundation|7.6.6.3|msi|LibreOffice
Logitech Options+|Logitech|1.70.551909|exe|LogiOptionsPlus
Microsoft .NET Runtime - 8.0.4 (x64)|Microsoft Corporation|64.16.21108|exe|dotnet
Microsoft Azure CLI (64-bit)|Microsoft Corporation|2.60.0|msi|Microsoft SDKs\\Azure\\CLI2
Microsoft Office Professional Plus 2021 - en-us|Microsoft Corporation|16.0.17531.20140|exe|Microsoft Office
Microsoft Teams classic|Microsoft Corporation|1.7.00.7956|exe|
Microsoft Teams Meeting Add-in for Microsoft Office|Microsoft|1.24.9501|msi|Microsoft\\TeamsMeetingAddin
Microsoft Windows Desktop Runtime - 8.0.4 (x64)|Microsoft Corporation|8.0.4.33520|exe|dotnet
mRemoteNG|Next Generation Software|1.76.20.24615|msi|mRemoteNG
Node.js|Node.js Foundation|20.12.2|msi|nodejs
NVIDIA Graphics Driver 552.22|NVIDIA Corporation|552.22|exe|NVIDIA Corporation
OBS Studio|OBS Project|30.1.2|exe|obs-studio
OpenVPN 2.6.10-I001 amd64|OpenVPN, Inc.|2.6.1001|msi|OpenVPN
Oracle VM VirtualBox 7.0.16|Oracle Corporation|7.0.16|msi|Oracle\\VirtualBox
Paint.NET|dotPDN LLC|5.0.13|msi|paint.net
PowerShell 7.4.2.0-x64|Microsoft Corporation|7.4.2.0|msi|PowerShell\\7
PuTTY release 0.81 (64-bit)|Simon Tatham|0.81.0.0|msi|PuTTY
Realtek Audio Driver|Realtek Semiconductor Corp.|6.0.9549.1|exe|Realtek\\Audio
Slack|Slack Technologies Inc.|4.38.115|exe|
Spotify|Spotify AB|1.2.36.955.gfc7a7b34|exe|
SQL Server Management Studio|Microsoft Corp.|20.1.10.0|exe|Microsoft SQL Server Management Studio 20
Steam|Valve Corporation|2.10.91.91|exe|Steam
Sublime Text|Sublime HQ Pty Ltd|4169|exe|Sublime Text
Tailscale|Tailscale Inc.|1.64.2|msi|Tailscale
TeamViewer|TeamViewer|15.53.6|exe|TeamViewer
Teams Machine-Wide Installer|Microsoft Corporation|1.5.0.30767|msi|Teams Installer
TortoiseGit 2.15.0.0 (64 bit)|TortoiseGit|2.15.0.0|msi|TortoiseGit
VLC media player|VideoLAN|3.0.20|exe|VideoLAN\\VLC
VMware Tools|VMware, Inc.|12.3.5.22544099|msi|VMware\\VMware Tools
Webex|Cisco Webex LLC|44.4.0.29432|msi|Cisco Spark
WinMerge 2.16.40.0 x64|Thingamahoochie Software|2.16.40.0|exe|WinMerge
WinRAR 7.00 (64-bit)|win.rar GmbH|7.00.0|exe|WinRAR
WinSCP 6.3.3|Martin Prikryl|6.3.3|exe|WinSCP
Wireshark 4.2.4 x64|The Wireshark developer community, https://www.wireshark.org|4.2.4|exe|Wireshark
Zoom Workplace (64-bit)|Zoom Video Communications, Inc.|6.0.38135|msi|Zoom\\bin
`;

/** Syllables and words for the long tail of generated names. */
export const WORDS = `
acorn agate alder amber anchor apex arbor arrow aspen atlas aurora axis azure badger basil beacon birch bison
blaze bolt bramble breeze brook cactus canyon cedar cinder cipher citadel clover cobalt comet copper coral cosmos
crane crest crystal cypress dawn delta dune ember falcon fern fjord flint forge fox frost galaxy garnet geyser
glacier granite grove harbor hawk hazel heron horizon indigo iris ivory jade jasper juniper kestrel lagoon lantern
larch lark lattice ledger lilac linden lotus lumen lynx magnet maple marble meadow meridian mesa meteor mint
monsoon moss nebula nimbus nova oak oasis obsidian onyx opal orbit orchid osprey otter pebble pelican pepper
pine pixel plume polar poplar prairie prism pulsar quartz quill radiant raven reef ridge river robin ruby sable
saffron sage salmon sapphire sequoia shale shore sierra signal slate solstice sparrow spruce summit sycamore
talon teal tempest thistle thunder tidal timber topaz torrent tundra umber valley vapor vector velvet vertex
violet vortex walnut willow winter wren yarrow zenith zephyr zinc
`;

/** Generic nouns for product names ("Pixel Forge", "Contoso Asset Tracker"). */
export const PRODUCT_NOUNS = `
Agent Analyzer Assistant Backup Board Bridge Browser Builder Capture Center Client Clipboard Companion Connect
Console Converter Designer Desk Diff Editor Explorer Flow Hub Inspector Keeper Launcher Manager Mapper Monitor
Notes Organizer Planner Player Portal Recorder Reader Scanner Scheduler Studio Suite Sync Terminal Tracker Viewer
Vault Workbench Writer
`;

/** Microsoft's fictitious company names: plausible publishers that belong to nobody. */
export const VENDORS = `
Contoso|Fabrikam|Northwind Traders|Tailspin Toys|Adventure Works|Litware|Proseware|Wide World Importers|Woodgrove
|Fourth Coffee|Wingtip Toys|Alpine Ski House|Coho Winery|Lucerne Publishing|Trey Research|Blue Yonder Airlines
|Humongous Insurance|Consolidated Messenger|VanArsdel|Relecloud|A. Datum|Fincher Architects|Bellows College
|Munson's Pickles and Preserves|Southridge Video|City Power & Light|Graphic Design Institute|Margie's Travel
`;

export const lines = (block: string): string[] =>
  block
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0);

export const words = (block: string, separator: RegExp = /\s+/): string[] =>
  block
    .split(separator)
    .map((word) => word.trim())
    .filter((word) => word.length > 0);
