"""Class: a teacher makes a class and gets its two links; a student opening the student link joins with a
display name; the teacher link shows the class's links and controls. The rules: nnlab/store/classes.py."""
import streamlit as st

from nnlab.core.errors import UserError
from nnlab.core.safe_text import markdown
from nnlab.store import classes
from nnlab.ui import classes as class_ui, live, workspace

st.title(":material/school: Class")
if workspace.required_store() is None:
    live.stop_page()
class_ui.notice()
url = workspace.database_url()
class_id = st.query_params.get(class_ui.CLASS) or st.query_params.get(class_ui.JOIN)
if class_id:
    try:
        school_class = classes.find(url, class_id)
    except UserError as error:
        st.error(f"{markdown(str(error)[:1].upper() + str(error)[1:])}.")
        live.stop_page()
    key = class_ui.teacher_key(class_id)
    if key is not None:
        class_ui.teacher_panel(school_class, key)
    elif st.query_params.get(class_ui.KEY):
        st.error("This teacher link's key is wrong: copy the whole link again.")
    elif st.query_params.get(class_ui.CLASS):  # the teacher's page reloaded: its key left the address bar
        st.info(f"This is the teacher's page of **{markdown(school_class.name)}**. Its controls need the teacher "
                "link: open it again (this page's address no longer holds its key, so that a projected page never "
                "shows it). To join as a student, use the student link.", icon=":material/key:")
    else:
        class_ui.join_panel(school_class)
else:
    st.markdown("A class shares what its students find on one board the teacher projects: each student joins with a "
                "display name (no account, no e-mail), trains as usual, and their finished runs appear on the board "
                "unless they untick “Share with the class”. Their runs stay private otherwise.")
    class_ui.my_classes()
    st.subheader("Make a class")
    class_ui.create_panel()
