"""nnlab's home page: what it is, the lessons to start from, and the way to every page.

It must render at once: nothing here imports TensorFlow.
"""
import streamlit as st

from nnlab.lessons.presets import PRESETS, RACES
from nnlab.ui import navigation
from nnlab.ui.session_keys import FIXED_SETTINGS

st.title(":material/neurology: nnlab")
st.markdown(
    "A lab for learning how a neural network's **hyperparameters** shape its training. Move the "
    "sliders — hidden layers, neurons, activation, loss, optimizer, learning rate, batch size, "
    "epochs, dropout — press **Train**, and watch the training and validation curves grow epoch by "
    "epoch until they show **overfitting** or **underfitting** by themselves. Then read the verdict "
    "in plain words, try the suggested remedy and compare the two runs. Real Keras, real data."
)
st.subheader("Start from a lesson")
lessons = [("train", "preset", preset) for preset in PRESETS.values()] + [("race", "lesson", race) for race in RACES.values()]
PER_ROW = 4  # cards of a readable width; more lessons wrap to a new row
columns = [column for first in range(0, len(lessons), PER_ROW) for column in st.columns(PER_ROW)]
for column, (page, key, lesson) in zip(columns, lessons):
    with column.container(border=True, height="stretch"):
        st.markdown(f"**{lesson.title}**")
        st.caption(lesson.description)
        st.markdown(f"*Look for:* {lesson.look_for}")
        st.page_link(navigation.PAGES[page].path, label=f"Open in {navigation.PAGES[page].title}",
                     icon=":material/play_arrow:", query_params={key: lesson.key})
st.caption("Teachers: a link such as `…/Train?preset=overfitting` or `…/Race?lesson=optimizers` opens a lesson for "
           "the whole class; the Train and Race pages' own links carry every setting.")
if not st.session_state.get(FIXED_SETTINGS):  # a class under a teacher's lock is not shown how to make one
    with st.expander("Make a teacher link: only the knob of the day", icon=":material/lock:"):
        st.markdown(
            "Add `lock=` and `hide=` to a Train link and the class sees only what you leave open: `lock` names "
            "settings whose value the link fixes and whose controls it hides, `hide` names whole sections "
            "(`data`, `network`, `training`, `regularization`), fixed at the link's values. For example "
            "`…/Train?preset=course&lock=dataset,hidden,activation,loss&hide=regularization` leaves the optimizer, "
            "the learning rate, the batch size and the epochs to play with. The lock holds on every page (Race, "
            "Sweep and Search offer no locked setting) for the rest of the session, whatever link or lesson is "
            "opened next; another teacher link replaces it, and `…/Train?lock=` lifts it. The Train page builds "
            "such a link for you under **Make a teacher link**.")

for column, (section, pages) in zip(st.columns(2), navigation.SECTIONS.items()):
    column.subheader("The lab" if section == "Lab" else section)
    for page in pages:
        navigation.link(page.key, f"**{page.title}** — {page.summary}" if page.summary else page.title, column)
