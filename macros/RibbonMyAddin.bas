Attribute VB_Name = "RibbonMyAddin"
' KPIAddin - ribbon callbacks for the tab "KPI kanri" (customUI/customUI14.xml).
'
' This module replaces the RibbonMyAddin module of the xlwings
' quickstart_addin_ribbon.xlam template (xlwings 0.37.8, BSD 3-clause).
' Source must stay ASCII: Japanese text is built from Unicode code points
' with ChrW(); the ribbon labels themselves live in customUI14.xml.
'
' Every button of the ribbon calls KpiButton. The button id (kpi_validate,
' kpi_recalc, kpi_export) is handed to Python, which looks it up in
' addin.ribbon.ACTIONS.
Option Explicit

Public Sub KpiButton(control As IRibbonControl)
    If ActiveWorkbook Is Nothing Then
        MsgBox NoWorkbookMessage(), vbInformation, AddinTitle()
        Exit Sub
    End If
    RunPython "import addin.ribbon as r; r.dispatch('" & control.Id & "')"
End Sub

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
    ' "KPI kanri" (KPI management)
    AddinTitle = U(75, 80, 73, 31649, 29702)
End Function

Private Function NoWorkbookMessage() As String
    ' Line 1: "No workbook is open."
    ' Line 2: "Open the KPI management workbook, then press the button again."
    NoWorkbookMessage = _
        U(12502, 12483, 12463, 12364, 38283, 12363, 12428, 12390, 12356, 12414, 12379, 12435, 12290) & vbCrLf & _
        U(75, 80, 73, 31649, 29702, 34920, 12398, 12502, 12483, 12463, 12434, 38283, 12356, 12390, 12363, 12425, _
          12289, 12418, 12358, 19968, 24230, 12508, 12479, 12531, 12434, 25276, 12375, 12390, 12367, 12384, 12373, _
          12356, 12290) & vbCrLf & vbCrLf & _
        "(No workbook is open. Please open the KPI workbook and press the button again.)"
End Function
