"""Class board: every run a class shared, drawn to be projected; the teacher's controls for the tab that holds
the teacher's key. The parts: nnlab/ui/board.py."""
import streamlit as st

from nnlab.core.errors import UserError
from nnlab.core.safe_text import markdown
from nnlab.ui import board, classes as class_ui, live, navigation, workspace

if workspace.required_store() is None:
    live.stop_page()
class_ui.notice()
class_id = board.class_of_link()
if not class_id:
    st.title(":material/leaderboard: Class board")
    st.info("A class's board opens from its link (the Class page gives it to the teacher and to every student).")
    class_ui.my_classes()
    navigation.link("class", "Make a class or join one")
    live.stop_page()
try:
    key = class_ui.teacher_key(class_id)
    school_class = board.board_page(class_id, key)
    if key is not None:
        with st.expander("The teacher's controls", icon=":material/admin_panel_settings:"):
            class_ui.controls(school_class, key)
except UserError as error:
    st.error(f"{markdown(str(error)[:1].upper() + str(error)[1:])}.")
