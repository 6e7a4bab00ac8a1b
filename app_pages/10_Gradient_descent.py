"""Gradient descent in one dimension, step by step, on a function you choose or type."""
import streamlit as st
import sympy

from nnlab.concepts.charts import descent_chart
from nnlab.concepts.gradient_descent import EXAMPLES, MAX_ITERATIONS, curve, descend, parse, unworkable, view
from nnlab.core.errors import UserError
from nnlab.core.safe_text import markdown
from nnlab.ui import live

st.title(":material/landscape: Gradient descent")
st.markdown(r"Each iteration moves x against the slope: $x \leftarrow x - \text{learning rate} \cdot f'(x)$. "
            "The lecture's playground is filled in: f = x² + x, start 5, learning rate 0.25.")

choice_column, text_column = st.columns([1, 2])
choice = choice_column.selectbox("Function", [*EXAMPLES, "type your own"], index=1)
text = text_column.text_input("f(x) =", value="x^2 + x", key="gd_text") if choice == "type your own" \
    else text_column.text_input("f(x) =", value=EXAMPLES[choice], disabled=True)
start_column, rate_column = st.columns(2)
start = start_column.number_input("Starting point", value=5.0, step=0.5, format="%g")
rate = rate_column.number_input("Learning rate", value=0.25, min_value=0.0, step=0.05, format="%g")

@st.cache_resource(max_entries=64, show_spinner=False)
def parsed(text: str):
    """Each click reruns the page: read a formula once (up to ≈0.7 s for the hardest), not per click."""
    return parse(text)


try:
    function = parsed(text)
except UserError as error:
    st.error(f"Change the function: {markdown(str(error))}")
    live.stop_page()
setup = (text, start, rate)
if st.session_state.get("gd_setup") != setup:  # a new problem starts at iteration 0
    st.session_state["gd_setup"], st.session_state["gd_iterations"] = setup, 0

buttons = st.columns([1, 1, 1, 1])
if buttons[0].button("Next iteration", type="primary", width="stretch"):
    st.session_state["gd_iterations"] += 1
many = buttons[1].number_input("N", min_value=1, max_value=1000, value=10, label_visibility="collapsed")
if buttons[2].button(f"Run {many} steps", width="stretch"):
    st.session_state["gd_iterations"] += int(many)
if buttons[3].button("Reset", width="stretch"):
    st.session_state["gd_iterations"] = 0

if st.session_state["gd_iterations"] > MAX_ITERATIONS:
    st.session_state["gd_iterations"] = MAX_ITERATIONS
    st.info(f"The page shows at most {MAX_ITERATIONS:,} iterations: press Reset to start again.")
path, diverged = descend(function, start, rate, st.session_state["gd_iterations"])
problem = unworkable(path)
if problem:
    st.error(markdown(problem))
    live.stop_page()
current = path[-1]
st.latex(rf"f(x) = {sympy.latex(function.expression)}, \quad f'(x) = {sympy.latex(function.derivative_expression)}")
cols = st.columns(3)
cols[0].metric("Iteration", current.iteration)
cols[1].metric("x", f"{current.x:.10g}")
cols[2].metric("f(x)", f"{current.fx:.6g}")
if diverged:
    st.error("The steps ran away (diverging): the learning rate is too large for this function — each step "
             "overshoots the minimum by more than it corrects. Lower the learning rate and press Reset.")

shown = view(path)
st.altair_chart(descent_chart(curve(function, shown.low, shown.high), shown.points, shown.tangent), width="stretch")
st.caption("Orange: the points visited, in order. Blue: where you are now, with the tangent whose slope "
           "sets the next step.")
with st.expander("Every iteration"):
    st.dataframe(shown.table, hide_index=True, column_config={"x": st.column_config.NumberColumn(format="%.10g")})
