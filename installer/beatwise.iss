; Inno Setup script for Windows. Build on Windows: first `installer\build.sh equivalent
; (a clean venv, `pip install . pyinstaller`, `pyinstaller installer\beatwise.spec`), then
; `iscc installer\beatwise.iss`. Windows executables cannot be cross-built on Linux.
#define AppName "Beatwise"
#define AppVersion "0.1.0"

[Setup]
AppId={{6F1C2E0B-6E0B-4C51-9A1B-BEA7B15E0001}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Beatwise team
DefaultDirName={autopf}\Beatwise
DefaultGroupName=Beatwise
OutputDir=..\dist
OutputBaseFilename=beatwise-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequiredOverridesAllowed=dialog

[Files]
Source: "..\dist\beatwise\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Beatwise"; Filename: "{app}\beatwise-desktop.exe"
Name: "{group}\Uninstall Beatwise"; Filename: "{uninstallexe}"

[Registry]
Root: HKA; Subkey: "Software\Classes\.beatwise"; ValueType: string; ValueName: ""; ValueData: "Beatwise.Project"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\Beatwise.Project\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\beatwise-desktop.exe"" ""%1"""; Flags: uninsdeletekey

[Run]
Filename: "{app}\beatwise-desktop.exe"; Description: "Open Beatwise"; Flags: nowait postinstall skipifsilent
