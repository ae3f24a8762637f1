; Inno Setup 6 script: a per-user Beatwise install on Windows, no administrator rights needed.
; BUILT ON WINDOWS, NOT HERE (Windows executables cannot be cross-built on Linux). The exact steps
; are in installer/README.md ("Windows"): a Python 3.11 x64 venv, `pip install . pyinstaller`,
; `python installer\make_icon.py`, `pyinstaller installer\beatwise.spec`, then
; `iscc installer\beatwise.iss` -> dist\beatwise-0.1.0-setup.exe.
#define AppName "Beatwise"
#define AppVersion "0.1.0"
#define AppExe "beatwise-desktop.exe"
#define ProgId "Beatwise.Project"

[Setup]
AppId={{6F1C2E0B-6E0B-4C51-9A1B-BEA7B15E0001}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Beatwise team
; per-user: installs into the user's profile, writes HKCU only, asks for no elevation
PrivilegesRequired=lowest
DefaultDirName={localappdata}\Programs\Beatwise
DefaultGroupName=Beatwise
DisableProgramGroupPage=yes
UninstallDisplayIcon={app}\{#AppExe}
SetupIconFile=icons\beatwise.ico
OutputDir=..\dist
OutputBaseFilename=beatwise-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; tell Explorer that the .beatwise association changed
ChangesAssociations=yes

[Files]
Source: "..\dist\beatwise\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "icons\beatwise.ico"; DestDir: "{app}"; Flags: ignoreversion

[Icons]
; {autoprograms} is the user's Start menu with PrivilegesRequired=lowest
Name: "{autoprograms}\Beatwise"; Filename: "{app}\{#AppExe}"; IconFilename: "{app}\beatwise.ico"
Name: "{autoprograms}\Uninstall Beatwise"; Filename: "{uninstallexe}"

[Registry]
; .beatwise -> Beatwise.Project -> beatwise-desktop.exe "%1". HKA is HKCU in a per-user install.
Root: HKA; Subkey: "Software\Classes\.beatwise"; ValueType: string; ValueName: ""; ValueData: "{#ProgId}"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.beatwise\OpenWithProgids"; ValueType: string; ValueName: "{#ProgId}"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "Beatwise project"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\beatwise.ico"
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".beatwise"; ValueData: ""; Flags: uninsdeletekey

[Run]
Filename: "{app}\{#AppExe}"; Description: "Open Beatwise"; Flags: nowait postinstall skipifsilent
