#!/bin/sh
# Regenerate the typed sources and what `kpi import` makes of them (run from the repository root).
set -e
D=workbooks/samples/import
python $D/make_sources.py
python -m addin import $D/mine_layout.xlsx $D/mine_layout_imported.xlsx --force --plan R2-R6 --municipality 美祢市 \
  --direction 要支援・要介護認定率※=減少 --direction 地域子育て支援拠点延べ利用児童数=増加 --direction 放課後子ども教室延べ事業参加人数=増加 --direction '認知症サポーター養成講座受講者数(年間)=増加'
python -m addin import $D/misato_layout.xlsx $D/misato_layout_imported.xlsx --force --plan R8-R12 --municipality 美郷町 --sheet 地域再生計画指標
python -m addin import $D/misato_layout.xlsx $D/misato_fields_imported.xlsx --force --plan R8-R12 --year R8 --municipality 美郷町 --sheet 分野ごとの目標
python -m addin import $D/omitama_layout.xlsx $D/omitama_layout_imported.xlsx --force --plan R2-R6 --municipality 小美玉市
python -m addin import $D/final_evaluation_constructed.xlsx $D/final_evaluation_constructed_imported.xlsx --force --plan R2-R6 --year R6 --scheme three-mark --municipality 作成例 --direction 放課後児童クラブ待機児童数=減少
