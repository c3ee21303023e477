// A small menu of actions opened from a button (a list row's "More actions"): the items are buttons
// with role="menuitem", reached with the arrow keys, Home and End; Escape, Tab or a click outside
// closes it and gives focus back to the button.
//
// The menu is put in the page's body, not in the row: the table's scrolling box would clip it.
import { h } from '../dom.js';
import { icon } from '../icons.js';

let open = null;

/**
 * Opens the menu under `anchor` (above it when there is no room below). `items` are
 * { label, testid, icon, danger, onSelect }; choosing one closes the menu, gives focus back to the
 * anchor (so a dialog the item opens returns there), then runs `onSelect`.
 */
export function openActionMenu(anchor, items, { label }) {
  const again = open && open.anchor === anchor;
  closeActionMenu({ focus: false });
  // A second click on the button that opened the menu closes it.
  if (again) return;
  const buttons = items.map((item) => h('button', {
    type: 'button',
    role: 'menuitem',
    tabindex: '-1',
    class: `action-menu-item${item.danger ? ' action-menu-danger' : ''}`,
    testid: item.testid,
    onClick: () => {
      closeActionMenu({ focus: true });
      item.onSelect();
    },
  }, item.icon ? icon(item.icon, { size: 14 }) : null, h('span', {}, item.label)));
  const menu = h('div', { class: 'action-menu', role: 'menu', 'aria-label': label, testid: 'action-menu', onKeydown: onKey }, buttons);
  document.body.append(menu);
  place(menu, anchor);
  anchor.setAttribute('aria-expanded', 'true');
  const onPointer = (event) => {
    if (!menu.contains(event.target) && event.target !== anchor && !anchor.contains(event.target)) closeActionMenu({ focus: false });
  };
  // The menu follows its button when the table scrolls (a scroll that brought the button into view
  // can still be reported after the click), and closes once the button is scrolled out of sight or
  // the window is resized.
  const onScroll = () => {
    if (inSight(anchor)) place(menu, anchor);
    else closeActionMenu({ focus: false });
  };
  const onResize = () => closeActionMenu({ focus: false });
  document.addEventListener('pointerdown', onPointer, true);
  window.addEventListener('resize', onResize);
  document.addEventListener('scroll', onScroll, true);
  open = {
    anchor,
    menu,
    detach() {
      document.removeEventListener('pointerdown', onPointer, true);
      window.removeEventListener('resize', onResize);
      document.removeEventListener('scroll', onScroll, true);
    },
  };
  buttons[0]?.focus();

  function onKey(event) {
    const index = buttons.indexOf(document.activeElement);
    const move = (to) => {
      event.preventDefault();
      buttons[(to + buttons.length) % buttons.length].focus();
    };
    if (event.key === 'ArrowDown') move(index + 1);
    else if (event.key === 'ArrowUp') move(index - 1);
    else if (event.key === 'Home') move(0);
    else if (event.key === 'End') move(buttons.length - 1);
    else if (event.key === 'Escape' || event.key === 'Tab') {
      event.preventDefault();
      event.stopPropagation();
      closeActionMenu({ focus: true });
    }
  }
}

/** Closes the open menu, if any; `focus` gives focus back to its button. */
export function closeActionMenu({ focus }) {
  if (!open) return;
  const { anchor, menu, detach } = open;
  open = null;
  detach();
  menu.remove();
  anchor.setAttribute('aria-expanded', 'false');
  if (focus && anchor.isConnected) anchor.focus();
}

function place(menu, anchor) {
  const box = anchor.getBoundingClientRect();
  const width = menu.offsetWidth;
  const height = menu.offsetHeight;
  const below = box.bottom + 4;
  const top = below + height > window.innerHeight - 8 ? Math.max(8, box.top - height - 4) : below;
  const left = Math.min(Math.max(8, box.right - width), window.innerWidth - width - 8);
  menu.style.top = `${top}px`;
  menu.style.left = `${left}px`;
}

/** Whether the button is in the window and not clipped away by a scrolling box around it. */
function inSight(anchor) {
  const box = anchor.getBoundingClientRect();
  if (!anchor.isConnected || box.bottom <= 0 || box.top >= window.innerHeight) return false;
  for (let node = anchor.parentElement; node && node !== document.body; node = node.parentElement) {
    const { overflowY } = getComputedStyle(node);
    if (overflowY !== 'auto' && overflowY !== 'scroll') continue;
    const clip = node.getBoundingClientRect();
    if (box.bottom <= clip.top || box.top >= clip.bottom) return false;
  }
  return true;
}
