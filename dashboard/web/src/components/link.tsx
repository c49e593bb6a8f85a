/** An in-app link: a real <a href> (new tab, copy link work) that navigates without reloading. */
import type { ComponentChildren } from 'preact';
import { linkClick } from '../router.js';

export function Link(props: { href: string; class?: string; children: ComponentChildren; 'data-testid'?: string; 'aria-current'?: 'page' }) {
  return (
    <a href={props.href} class={props.class} onClick={linkClick} data-testid={props['data-testid']} aria-current={props['aria-current']}>
      {props.children}
    </a>
  );
}
