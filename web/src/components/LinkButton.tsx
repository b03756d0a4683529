/** A button that goes to a page of the console (a link styled as a button would nest two controls). */
import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { Button, type ButtonProps } from 'antd';

export function LinkButton({ to, children, ...props }: { to: string; children: ReactNode } & Omit<ButtonProps, 'href' | 'onClick'>) {
  const navigate = useNavigate();
  return <Button {...props} onClick={() => void navigate(to)}>{children}</Button>;
}
