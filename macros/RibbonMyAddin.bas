Attribute VB_Name = "RibbonMyAddin"
' KPIAddin - the ribbon's launcher (tab "KPI kanri", customUI/customUI14.xml).
'
' Every button calls KpiButton, which starts Python itself (not xlwings' RunPython):
'   "<python.exe>" -I -B -c "<BOOTSTRAP>" <button id> <Excel window handle> "<workbook full name>"
' - the interpreter comes ONLY from the per-user file %USERPROFILE%\.KPIAddin\KPIAddin.conf, written by
'   "kpi install-addin" (line "INTERPRETER_WIN","C:\...\python.exe"); nothing is read from any workbook;
' - -I (isolated: no PYTHON* environment variables, no current or workbook folder on sys.path) and -B (no
'   .pyc files written); the bootstrap adds only the user's own site-packages (pip install --user);
' - Python attaches to this Excel through xlwings (addin.ribbon.main) and shows its own result message;
'   this module shows a Japanese message for everything that can go wrong before that (On Error handler:
'   no VBA runtime error dialog, no Debug button), including the Defender rule that blocks Office child
'   processes, Protected View and read-only workbooks.
' Source must stay ASCII: Japanese text is built from Unicode code points with ChrW().
Option Explicit

Private Const CONF_DIR As String = "\.KPIAddin"
Private Const CONF_FILE As String = "\.KPIAddin\KPIAddin.conf"
Private Const CONF_KEY As String = "INTERPRETER_WIN"
Private Const LOG_FILE As String = "\KPIAddin.log"
Private Const BOOTSTRAP As String = "import site,sys;site.addsitedir(site.getusersitepackages());import addin.ribbon as r;sys.exit(r.main())"
Private Const ERR_ACCESS_DENIED As Long = 70
Private Const HR_ACCESS_DENIED As Long = -2147024891
Private Const HR_FILE_NOT_FOUND As Long = -2147024894

Public Sub KpiButton(control As IRibbonControl)
    Dim stage As String
    Dim python As String
    Dim cmd As String
    Dim rc As Long
    Dim wsh As Object
    On Error GoTo Failed
    stage = "check"
    If Not Application.ActiveProtectedViewWindow Is Nothing Then
        MsgBox ProtectedViewMessage(), vbExclamation, AddinTitle()
        Exit Sub
    End If
    If ActiveWorkbook Is Nothing Then
        MsgBox NoWorkbookMessage(), vbInformation, AddinTitle()
        Exit Sub
    End If
    If ActiveWorkbook.ReadOnly And control.Id <> "kpi_export" Then
        MsgBox ReadOnlyMessage(), vbExclamation, AddinTitle()
        Exit Sub
    End If
    python = InterpreterFromUserConf()
    If Len(python) = 0 Then
        MsgBox NoConfMessage() & Environ("USERPROFILE") & CONF_FILE, vbExclamation, AddinTitle()
        Exit Sub
    End If
    If Len(Dir(python)) = 0 Then
        MsgBox NoPythonMessage() & python, vbExclamation, AddinTitle()
        Exit Sub
    End If
    cmd = Quoted(python) & " -I -B -c " & Quoted(BOOTSTRAP) & " " & control.Id & " " & _
          CStr(Application.Hwnd) & " " & Quoted(ActiveWorkbook.FullName)
    Application.StatusBar = StartingStatus()
    stage = "start"
    Set wsh = CreateObject("WScript.Shell")
    wsh.CurrentDirectory = Environ("USERPROFILE") & CONF_DIR
    rc = wsh.Run(cmd, 0, True)
    stage = "done"
    Application.StatusBar = False
    If rc <> 0 Then MsgBox ExitCodeMessage(rc), vbExclamation, AddinTitle()
    Exit Sub
Failed:
    Dim number As Long
    Dim description As String
    number = Err.Number
    description = Err.Description
    On Error Resume Next
    Application.StatusBar = False
    If stage = "start" And (number = ERR_ACCESS_DENIED Or number = HR_ACCESS_DENIED) Then
        MsgBox BlockedMessage() & python, vbCritical, AddinTitle()
    ElseIf stage = "start" And number = HR_FILE_NOT_FOUND Then
        MsgBox NoPythonMessage() & python, vbCritical, AddinTitle()
    ElseIf stage = "start" Then
        MsgBox StartFailedMessage() & CStr(number) & " " & description, vbCritical, AddinTitle()
    Else
        MsgBox UnexpectedMessage() & CStr(number) & " " & description, vbCritical, AddinTitle()
    End If
End Sub

Private Function InterpreterFromUserConf() As String
    ' The per-user configuration written by "kpi install-addin" ("KEY","VALUE" lines, VBA Write # format).
    Dim path As String
    Dim f As Integer
    Dim key As String
    Dim value As String
    InterpreterFromUserConf = ""
    path = Environ("USERPROFILE") & CONF_FILE
    If Len(Environ("USERPROFILE")) = 0 Or Len(Dir(path)) = 0 Then Exit Function
    f = FreeFile
    Open path For Input As #f
    Do Until EOF(f)
        Input #f, key, value
        If UCase(key) = CONF_KEY Then InterpreterFromUserConf = value
    Loop
    Close #f
End Function

Private Function ExitCodeMessage(ByVal rc As Long) As String
    ' Exit codes of addin.ribbon.main: 1 the package could not be imported, 3 no xlwings, 4 no Excel.
    Select Case rc
        Case 1
            ExitCodeMessage = NoPackageMessage()
        Case 3
            ExitCodeMessage = NoXlwingsMessage()
        Case 4
            ExitCodeMessage = NoExcelMessage() & LogHint() & Environ("TEMP") & LOG_FILE
        Case Else
            ExitCodeMessage = ExitMessage() & CStr(rc) & LogHint() & Environ("TEMP") & LOG_FILE
    End Select
End Function

Private Function Quoted(ByVal s As String) As String
    Quoted = Chr(34) & s & Chr(34)
End Function

Private Function U(ParamArray codes() As Variant) As String
    ' Builds a string from Unicode code points (keeps this file ASCII).
    Dim i As Long
    Dim s As String
    For i = LBound(codes) To UBound(codes)
        s = s & ChrW(codes(i))
    Next i
    U = s
End Function

Private Function AddinTitle() As String
    Dim s As String
    s = s & U(75, 80, 73, 31649, 29702)
    AddinTitle = s
End Function

Private Function NoWorkbookMessage() As String
    Dim s As String
    s = s & U(12502, 12483, 12463, 12364, 38283, 12363, 12428, 12390, 12356, 12414, 12379, 12435, 12290)
    s = s & vbCrLf
    s = s & U(75, 80, 73, 31649, 29702, 34920, 12398, 12502, 12483, 12463, 12434, 38283, 12356, 12390)
    s = s & U(12363, 12425, 12289, 12418, 12358, 19968, 24230, 12508, 12479, 12531, 12434, 25276, 12375, 12390)
    s = s & U(12367, 12384, 12373, 12356, 12290)
    NoWorkbookMessage = s
End Function

Private Function ProtectedViewMessage() As String
    Dim s As String
    s = s & U(12371, 12398, 12502, 12483, 12463, 12399, 20445, 35703, 12499, 12517, 12540, 12391, 38283, 12363)
    s = s & U(12428, 12390, 12356, 12414, 12377, 12290)
    s = s & vbCrLf
    s = s & U(30011, 38754, 19978, 37096, 12398, 65339, 32232, 38598, 12434, 26377, 21177, 12395, 12377, 12427)
    s = s & U(65341, 12434, 25276, 12375, 12390, 12363, 12425, 12289, 12418, 12358, 19968, 24230, 12508, 12479)
    s = s & U(12531, 12434, 25276, 12375, 12390, 12367, 12384, 12373, 12356, 12290)
    ProtectedViewMessage = s
End Function

Private Function ReadOnlyMessage() As String
    Dim s As String
    s = s & U(12371, 12398, 12502, 12483, 12463, 12399, 35501, 12415, 21462, 12426, 23554, 29992, 12391, 38283)
    s = s & U(12363, 12428, 12390, 12356, 12427, 12383, 12417, 12289, 26360, 12365, 36796, 12417, 12414, 12379)
    s = s & U(12435, 12290)
    s = s & vbCrLf
    s = s & U(65339, 21517, 21069, 12434, 20184, 12369, 12390, 20445, 23384, 65341, 12391, 20445, 23384, 12375)
    s = s & U(30452, 12375, 12383, 12502, 12483, 12463, 12391, 23455, 34892, 12375, 12390, 12367, 12384, 12373)
    s = s & U(12356, 65288, 20844, 34920, 29992, 20986, 21147, 12399, 35501, 12415, 21462, 12426, 23554, 29992)
    s = s & U(12391, 12418, 23455, 34892, 12391, 12365, 12414, 12377, 65289, 12290)
    ReadOnlyMessage = s
End Function

Private Function NoConfMessage() As String
    Dim s As String
    s = s & U(75, 80, 73, 31649, 29702, 12450, 12489, 12452, 12531, 12398, 35373, 23450, 12501, 12449)
    s = s & U(12452, 12523, 12364, 12394, 12356, 12363, 12289, 80, 121, 116, 104, 111, 110, 32)
    s = s & U(12398, 12497, 12473, 12364, 26360, 12363, 12428, 12390, 12356, 12414, 12379, 12435, 12290)
    s = s & vbCrLf
    s = s & U(24773, 22577, 12471, 12473, 12486, 12512, 25285, 24403, 32773, 12395, 12300, 107, 112, 105)
    s = s & U(32, 105, 110, 115, 116, 97, 108, 108, 45, 97, 100, 100, 105, 110)
    s = s & U(12301, 12398, 23455, 34892, 12434, 20381, 38972, 12375, 12390, 12367, 12384, 12373, 12356, 12290)
    s = s & vbCrLf
    s = s & U(35373, 23450, 12501, 12449, 12452, 12523, 58, 32)
    NoConfMessage = s
End Function

Private Function NoPythonMessage() As String
    Dim s As String
    s = s & U(35373, 23450, 12501, 12449, 12452, 12523, 12395, 26360, 12363, 12428, 12383, 32, 80, 121)
    s = s & U(116, 104, 111, 110, 32, 12364, 35211, 12388, 12363, 12426, 12414, 12379, 12435, 12290)
    s = s & vbCrLf
    s = s & U(24773, 22577, 12471, 12473, 12486, 12512, 25285, 24403, 32773, 12395, 12300, 107, 112, 105)
    s = s & U(32, 105, 110, 115, 116, 97, 108, 108, 45, 97, 100, 100, 105, 110)
    s = s & U(12301, 12398, 20877, 23455, 34892, 12434, 20381, 38972, 12375, 12390, 12367, 12384, 12373, 12356)
    s = s & U(12290)
    s = s & vbCrLf
    s = s & U(80, 121, 116, 104, 111, 110, 58, 32)
    NoPythonMessage = s
End Function

Private Function BlockedMessage() As String
    Dim s As String
    s = s & U(80, 121, 116, 104, 111, 110, 32, 12434, 36215, 21205, 12391, 12365, 12414, 12379)
    s = s & U(12435, 12391, 12375, 12383, 65288, 12450, 12463, 12475, 12473, 12364, 25298, 21542, 12373, 12428)
    s = s & U(12414, 12375, 12383, 65289, 12290)
    s = s & vbCrLf
    s = s & U(77, 105, 99, 114, 111, 115, 111, 102, 116, 32, 68, 101, 102, 101)
    s = s & U(110, 100, 101, 114, 32, 12398, 25915, 25731, 38754, 12398, 28187, 23569, 12523, 12540)
    s = s & U(12523, 12300, 79, 102, 102, 105, 99, 101, 32, 12450, 12503, 12522, 12465, 12540)
    s = s & U(12471, 12519, 12531, 12395, 12424, 12427, 23376, 12503, 12525, 12475, 12473, 12398, 20316, 25104)
    s = s & U(12434, 12502, 12525, 12483, 12463, 12301, 65288, 71, 85, 73, 68, 32, 100, 52)
    s = s & U(102, 57, 52, 48, 97, 98, 45, 52, 48, 49, 98, 45, 52, 101)
    s = s & U(102, 99, 45, 97, 97, 100, 99, 45, 97, 100, 53, 102, 51, 99)
    s = s & U(53, 48, 54, 56, 56, 97, 65289, 12364, 26377, 21177, 12395, 12394, 12387, 12390)
    s = s & U(12356, 12427, 21487, 33021, 24615, 12364, 12354, 12426, 12414, 12377, 12290)
    s = s & vbCrLf
    s = s & U(24773, 22577, 12471, 12473, 12486, 12512, 25285, 24403, 32773, 12395, 12289, 12371, 12398, 12523)
    s = s & U(12540, 12523, 12398, 38500, 22806, 12392, 12375, 12390, 27425, 12398, 32, 112, 121, 116)
    s = s & U(104, 111, 110, 46, 101, 120, 101, 32, 12434, 30331, 37682, 12377, 12427, 12424)
    s = s & U(12358, 20381, 38972, 12375, 12390, 12367, 12384, 12373, 12356, 12290)
    s = s & vbCrLf
    s = s & U(80, 121, 116, 104, 111, 110, 58, 32)
    BlockedMessage = s
End Function

Private Function StartFailedMessage() As String
    Dim s As String
    s = s & U(80, 121, 116, 104, 111, 110, 32, 12434, 36215, 21205, 12391, 12365, 12414, 12379)
    s = s & U(12435, 12391, 12375, 12383, 12290, 24773, 22577, 12471, 12473, 12486, 12512, 25285, 24403, 32773)
    s = s & U(12395, 36899, 32097, 12375, 12390, 12367, 12384, 12373, 12356, 12290)
    s = s & vbCrLf
    s = s & U(12456, 12521, 12540, 58, 32)
    StartFailedMessage = s
End Function

Private Function NoPackageMessage() As String
    Dim s As String
    s = s & U(80, 121, 116, 104, 111, 110, 32, 12391, 75, 80, 73, 31649, 29702, 12450)
    s = s & U(12489, 12452, 12531, 12398, 12497, 12483, 12465, 12540, 12472, 12434, 35501, 12415, 36796, 12417)
    s = s & U(12414, 12379, 12435, 12391, 12375, 12383, 12290)
    s = s & vbCrLf
    s = s & U(24773, 22577, 12471, 12473, 12486, 12512, 25285, 24403, 32773, 12395, 32, 107, 112, 105)
    s = s & U(45, 97, 100, 100, 105, 110, 91, 108, 105, 118, 101, 93, 32, 12398)
    s = s & U(12452, 12531, 12473, 12488, 12540, 12523, 12398, 30906, 35469, 12434, 20381, 38972, 12375, 12390)
    s = s & U(12367, 12384, 12373, 12356, 12290)
    NoPackageMessage = s
End Function

Private Function NoXlwingsMessage() As String
    Dim s As String
    s = s & U(120, 108, 119, 105, 110, 103, 115, 32, 12364, 12452, 12531, 12473, 12488, 12540)
    s = s & U(12523, 12373, 12428, 12390, 12356, 12414, 12379, 12435, 12290)
    s = s & vbCrLf
    s = s & U(24773, 22577, 12471, 12473, 12486, 12512, 25285, 24403, 32773, 12395, 32, 107, 112, 105)
    s = s & U(45, 97, 100, 100, 105, 110, 91, 108, 105, 118, 101, 93, 32, 12398)
    s = s & U(12452, 12531, 12473, 12488, 12540, 12523, 12434, 20381, 38972, 12375, 12390, 12367, 12384, 12373)
    s = s & U(12356, 12290)
    NoXlwingsMessage = s
End Function

Private Function NoExcelMessage() As String
    Dim s As String
    s = s & U(80, 121, 116, 104, 111, 110, 32, 12363, 12425, 32, 69, 120, 99, 101)
    s = s & U(108, 32, 12395, 25509, 32154, 12391, 12365, 12414, 12379, 12435, 12391, 12375, 12383, 12290)
    s = s & U(69, 120, 99, 101, 108, 32, 12434, 20877, 36215, 21205, 12375, 12390, 12289, 12418)
    s = s & U(12358, 19968, 24230, 23455, 34892, 12375, 12390, 12367, 12384, 12373, 12356, 12290)
    NoExcelMessage = s
End Function

Private Function ExitMessage() As String
    Dim s As String
    s = s & U(20966, 29702, 12364, 36884, 20013, 12391, 32066, 20102, 12375, 12414, 12375, 12383, 12290, 24773)
    s = s & U(22577, 12471, 12473, 12486, 12512, 25285, 24403, 32773, 12395, 36899, 32097, 12375, 12390, 12367)
    s = s & U(12384, 12373, 12356, 12290, 32066, 20102, 12467, 12540, 12489, 58, 32)
    ExitMessage = s
End Function

Private Function LogHint() As String
    Dim s As String
    s = s & vbCrLf
    s = s & U(35443, 32048, 12398, 35352, 37682, 58, 32)
    LogHint = s
End Function

Private Function UnexpectedMessage() As String
    Dim s As String
    s = s & U(12450, 12489, 12452, 12531, 12391, 20104, 26399, 12375, 12394, 12356, 21839, 38988, 12364, 30330)
    s = s & U(29983, 12375, 12414, 12375, 12383, 12290, 24773, 22577, 12471, 12473, 12486, 12512, 25285, 24403)
    s = s & U(32773, 12395, 36899, 32097, 12375, 12390, 12367, 12384, 12373, 12356, 12290)
    s = s & vbCrLf
    s = s & U(12456, 12521, 12540, 58, 32)
    UnexpectedMessage = s
End Function

Private Function StartingStatus() As String
    Dim s As String
    s = s & U(75, 80, 73, 31649, 29702, 58, 32, 80, 121, 116, 104, 111, 110, 32)
    s = s & U(12434, 36215, 21205, 12375, 12390, 12356, 12414, 12377, 8230)
    StartingStatus = s
End Function
